//! HMAC-SHA256 from keyed states computed once per secret, one MAC at a time or two side by
//! side.
//!
//! A save callback carries two tokens, and a rotated secret doubles the MACs of a token. With
//! the x86 SHA extensions, SHA-256 waits on the latency of its round instruction, so two
//! independent messages compressed in the same loop take little more time than one. Without
//! them (or on other CPUs), the sha2 crate's compression runs on each message in turn.

use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

/// The SHA-256 block size.
const BLOCK: usize = 64;

/// SHA-256's initial hash value (FIPS 180-4, 5.3.3).
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// A secret's HMAC-SHA256 states after its inner and outer padded key blocks.
#[derive(Clone)]
pub struct Hs256Key {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl std::fmt::Debug for Hs256Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hs256Key(..)")
    }
}

impl Hs256Key {
    /// The keyed states of `secret` (of any length; one longer than a block is hashed first,
    /// as RFC 2104 says).
    pub fn new(secret: &[u8]) -> Hs256Key {
        let mut key = [0u8; BLOCK];
        if secret.len() > BLOCK {
            key[..32].copy_from_slice(&Sha256::digest(secret));
        } else {
            key[..secret.len()].copy_from_slice(secret);
        }
        let pad = |byte: u8| {
            let mut block = [0u8; BLOCK];
            for (b, k) in block.iter_mut().zip(key) {
                *b = k ^ byte;
            }
            let mut state = IV;
            compress(&mut [&mut state], [&block[..]]);
            state
        };
        Hs256Key {
            inner: pad(0x36),
            outer: pad(0x5c),
        }
    }

    /// The MAC of `input`.
    pub fn mac(&self, input: &[u8]) -> [u8; 32] {
        self.stream(input).finish()
    }

    /// The MAC of `input`, computed a block at a time by [`Hs256Stream::step`] between other
    /// work: SHA-256 with the SHA extensions waits on the latency of its rounds, and work that
    /// does not depend on it runs in the meantime.
    pub fn stream<'a>(&'a self, input: &'a [u8]) -> Hs256Stream<'a> {
        Hs256Stream {
            key: self,
            input,
            state: self.inner,
            at: 0,
        }
    }

    /// The MACs of `a` under `key_a` and of `b` under `key_b`, computed side by side.
    #[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt_body")]
    pub fn mac_pair(key_a: &Hs256Key, a: &[u8], key_b: &Hs256Key, b: &[u8]) -> [[u8; 32]; 2] {
        let messages = [Padded::new(a), Padded::new(b)];
        let mut states = [key_a.inner, key_b.inner];
        let counts = messages.each_ref().map(Padded::blocks);
        let common = counts[0].min(counts[1]);
        // Both messages, block by block, in runs that come from one part of each.
        let mut at = 0;
        while at < common {
            let end = messages
                .iter()
                .map(|m| m.run_end(at))
                .fold(common, usize::min);
            let [sa, sb] = &mut states;
            compress(
                &mut [sa, sb],
                [messages[0].range(at, end), messages[1].range(at, end)],
            );
            at = end;
        }
        // The rest of the longer one alone.
        for (message, state) in messages.iter().zip(states.iter_mut()) {
            let mut at = common;
            while at < message.blocks() {
                let end = message.run_end(at);
                compress(&mut [state], [message.range(at, end)]);
                at = end;
            }
        }
        let inner = states.each_ref().map(Padded::digest_block);
        let mut states = [key_a.outer, key_b.outer];
        let [sa, sb] = &mut states;
        compress(&mut [sa, sb], [&inner[0][..], &inner[1][..]]);
        states.each_ref().map(digest)
    }
}

/// A MAC being computed; see [`Hs256Key::stream`].
pub struct Hs256Stream<'a> {
    key: &'a Hs256Key,
    input: &'a [u8],
    state: [u32; 8],
    /// The next block of the message to compress.
    at: usize,
}

impl Hs256Stream<'_> {
    /// Compresses the next whole block of the input, if any is left (the padded last ones
    /// are left to [`Hs256Stream::finish`]).
    #[inline]
    pub fn step(&mut self) {
        if let Some(block) = self.input.get(self.at * BLOCK..(self.at + 1) * BLOCK) {
            compress(&mut [&mut self.state], [block]);
            self.at += 1;
        }
    }

    /// The MAC: the whole blocks left, the padded last one or two, then the outer hash. The
    /// message's parts are compressed directly, without the runs of [`Padded`] that serve
    /// two messages side by side: the code a header check runs is the shorter for it.
    #[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
    pub fn finish(mut self) -> [u8; 32] {
        let (whole, rest) = split_whole(self.input);
        if let Some(left) = whole.get(self.at * BLOCK..) {
            compress(&mut [&mut self.state], [left]);
        }
        let mut tail = [0u8; 2 * BLOCK];
        let tail_len = pad_tail(&mut tail, rest, self.input.len());
        compress(
            &mut [&mut self.state],
            [tail.get(..tail_len).unwrap_or_default()],
        );
        let inner = Padded::digest_block(&self.state);
        let mut state = self.key.outer;
        compress(&mut [&mut state], [&inner[..]]);
        digest(&state)
    }
}

/// Whether `mac` equals `signature`, in constant time: the difference of all 32 bytes is
/// gathered into one word before it is compared (a different length is unequal at once).
pub fn tag_eq(mac: &[u8; 32], signature: &[u8]) -> Choice {
    let Ok(signature) = <&[u8; 32]>::try_from(signature) else {
        return Choice::from(0);
    };
    let word = |bytes: &[u8; 32], i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[8 * i..8 * i + 8]);
        u64::from_ne_bytes(w)
    };
    let diff = (0..4).fold(0u64, |d, i| d | (word(mac, i) ^ word(signature, i)));
    diff.ct_eq(&0)
}

/// A message after one block of keyed state: its whole blocks, borrowed, and its last one or
/// two blocks with SHA-256's padding.
struct Padded<'a> {
    whole: &'a [u8],
    tail: [u8; 2 * BLOCK],
    tail_len: usize,
}

impl<'a> Padded<'a> {
    fn new(input: &'a [u8]) -> Padded<'a> {
        let (whole, rest) = split_whole(input);
        let mut tail = [0u8; 2 * BLOCK];
        let tail_len = pad_tail(&mut tail, rest, input.len());
        Padded {
            whole,
            tail,
            tail_len,
        }
    }

    /// The inner hash as the outer hash's one padded block.
    fn digest_block(state: &[u32; 8]) -> [u8; BLOCK] {
        let mut block = [0u8; BLOCK];
        block[..32].copy_from_slice(&digest(state));
        block[32] = 0x80;
        block[BLOCK - 8..].copy_from_slice(&(((BLOCK + 32) as u64) * 8).to_be_bytes());
        block
    }

    fn blocks(&self) -> usize {
        (self.whole.len() + self.tail_len) / BLOCK
    }

    /// Where the run of blocks that starts at block `at` ends: at the end of the part it is in.
    fn run_end(&self, at: usize) -> usize {
        let whole = self.whole.len() / BLOCK;
        if at < whole {
            whole
        } else {
            self.blocks()
        }
    }

    /// The bytes of blocks `from..to`, which lie in one part.
    fn range(&self, from: usize, to: usize) -> &[u8] {
        let whole = self.whole.len() / BLOCK;
        if from < whole {
            self.whole.get(from * BLOCK..to * BLOCK).unwrap_or_default()
        } else {
            self.tail
                .get((from - whole) * BLOCK..(to - whole) * BLOCK)
                .unwrap_or_default()
        }
    }
}

/// A message's whole blocks and the bytes after them.
fn split_whole(input: &[u8]) -> (&[u8], &[u8]) {
    let split = input.len() - input.len() % BLOCK;
    (
        input.get(..split).unwrap_or_default(),
        input.get(split..).unwrap_or_default(),
    )
}

/// Writes into the zeroed `tail` the last bytes `rest` (fewer than a block) of a message of
/// `len` bytes with SHA-256's padding: one or two blocks, whose length it returns.
#[inline(always)]
fn pad_tail(tail: &mut [u8; 2 * BLOCK], rest: &[u8], len: usize) -> usize {
    let tail_len = if rest.len() + 9 <= BLOCK {
        BLOCK
    } else {
        2 * BLOCK
    };
    if let Some((mark, head)) = tail.get_mut(..=rest.len()).and_then(<[u8]>::split_last_mut) {
        head.copy_from_slice(rest);
        *mark = 0x80;
    }
    // the length in bits, counting the key block before the message
    let bits = ((BLOCK + len) as u64) * 8;
    if let Some(end) = tail.get_mut(tail_len - 8..tail_len) {
        end.copy_from_slice(&bits.to_be_bytes());
    }
    tail_len
}

fn digest(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// Compresses `blocks[i]` (whole blocks, the same number for every lane) into `states[i]`.
#[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
fn compress<const L: usize>(states: &mut [&mut [u32; 8]; L], blocks: [&[u8]; L]) {
    #[cfg(target_arch = "x86_64")]
    if ni::available() {
        // SAFETY: the CPU has the SHA extensions, SSSE3 and SSE4.1 (checked just above).
        unsafe { ni::compress(states, blocks) };
        return;
    }
    compress_portable(states, blocks);
}

/// [`compress`] with the sha2 crate's compression, one lane after the other.
fn compress_portable<const L: usize>(states: &mut [&mut [u32; 8]; L], blocks: [&[u8]; L]) {
    for (state, bytes) in states.iter_mut().zip(blocks) {
        for block in bytes.chunks_exact(BLOCK) {
            sha2::compress256(state, &[*GenericArray::from_slice(block)]);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod ni {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_blend_epi16, _mm_loadu_si128, _mm_set_epi64x,
        _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32, _mm_shuffle_epi32,
        _mm_shuffle_epi8, _mm_storeu_si128,
    };

    use super::BLOCK;

    /// The round constants, four per group of four rounds.
    const K: [[u32; 4]; 16] = [
        [0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5],
        [0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5],
        [0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3],
        [0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174],
        [0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc],
        [0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da],
        [0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7],
        [0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967],
        [0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13],
        [0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85],
        [0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3],
        [0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070],
        [0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5],
        [0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3],
        [0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208],
        [0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2],
    ];

    pub(super) fn available() -> bool {
        std::arch::is_x86_feature_detected!("sha")
            && std::arch::is_x86_feature_detected!("ssse3")
            && std::arch::is_x86_feature_detected!("sse4.1")
    }

    /// [`super::compress`] with the SHA extensions, the lanes' rounds interleaved.
    ///
    /// # Safety
    ///
    /// The CPU must have the SHA extensions, SSSE3 and SSE4.1.
    #[target_feature(enable = "sha,ssse3,sse4.1")]
    #[allow(clippy::needless_range_loop)] // the lanes index several arrays in step
    #[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
    pub(super) unsafe fn compress<const L: usize>(
        states: &mut [&mut [u32; 8]; L],
        blocks: [&[u8]; L],
    ) {
        // SAFETY (for the whole body): the caller guarantees the target features; every load
        // and store is unaligned and reads or writes 16 bytes inside an array or a block.
        unsafe {
            // byte order within each 32-bit word reversed: SHA-256 words are big-endian
            let swap = _mm_set_epi64x(0x0c0d_0e0f_0809_0a0b, 0x0405_0607_0001_0203);
            // The state as the SHA instructions hold it: ABEF and CDGH.
            let mut abef = [_mm_set_epi64x(0, 0); L];
            let mut cdgh = [_mm_set_epi64x(0, 0); L];
            for l in 0..L {
                let abcd = _mm_loadu_si128(states[l].as_ptr().cast::<__m128i>());
                let efgh = _mm_loadu_si128(states[l].as_ptr().add(4).cast::<__m128i>());
                let badc = _mm_shuffle_epi32(abcd, 0xb1);
                let hgfe = _mm_shuffle_epi32(efgh, 0x1b);
                abef[l] = _mm_alignr_epi8(badc, hgfe, 8);
                cdgh[l] = _mm_blend_epi16(hgfe, badc, 0xf0);
            }
            let count = blocks.iter().map(|b| b.len() / BLOCK).min().unwrap_or(0);
            for n in 0..count {
                let saved = (abef, cdgh);
                // the message schedule, four words per register, the last four groups
                let mut w = [[_mm_set_epi64x(0, 0); 4]; L];
                for l in 0..L {
                    let block = blocks[l].as_ptr().add(n * BLOCK);
                    for (i, slot) in w[l].iter_mut().enumerate() {
                        let words = _mm_loadu_si128(block.add(16 * i).cast::<__m128i>());
                        *slot = _mm_shuffle_epi8(words, swap);
                    }
                }
                // Four rounds with the schedule registers in the order given (oldest first):
                // from the fifth group on, the oldest is replaced by the next four words,
                // W[t..t+4] from W[t-16..], W[t-12..], W[t-8..] and W[t-4..].
                macro_rules! rounds {
                    ($group:expr, $r0:literal, $r1:literal, $r2:literal, $r3:literal) => {{
                        let k = _mm_loadu_si128(K[$group].as_ptr().cast::<__m128i>());
                        for l in 0..L {
                            let w = &mut w[l];
                            if $group >= 4 {
                                let sum = _mm_add_epi32(
                                    _mm_sha256msg1_epu32(w[$r0], w[$r1]),
                                    _mm_alignr_epi8(w[$r3], w[$r2], 4),
                                );
                                w[$r0] = _mm_sha256msg2_epu32(sum, w[$r3]);
                            }
                            // Two rounds leave their new ABEF where CDGH was; two more put the
                            // next ABEF back, and the first pair's ABEF is then the CDGH.
                            let wk = _mm_add_epi32(w[$r0], k);
                            cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], wk);
                            abef[l] = _mm_sha256rnds2_epu32(
                                abef[l],
                                cdgh[l],
                                _mm_shuffle_epi32(wk, 0x0e),
                            );
                        }
                    }};
                }
                for quarter in 0..4 {
                    rounds!(4 * quarter, 0, 1, 2, 3);
                    rounds!(4 * quarter + 1, 1, 2, 3, 0);
                    rounds!(4 * quarter + 2, 2, 3, 0, 1);
                    rounds!(4 * quarter + 3, 3, 0, 1, 2);
                }
                for l in 0..L {
                    abef[l] = _mm_add_epi32(abef[l], saved.0[l]);
                    cdgh[l] = _mm_add_epi32(cdgh[l], saved.1[l]);
                }
            }
            for l in 0..L {
                let feba = _mm_shuffle_epi32(abef[l], 0x1b);
                let dchg = _mm_shuffle_epi32(cdgh[l], 0xb1);
                let abcd = _mm_blend_epi16(feba, dchg, 0xf0);
                let efgh = _mm_alignr_epi8(dchg, feba, 8);
                _mm_storeu_si128(states[l].as_mut_ptr().cast::<__m128i>(), abcd);
                _mm_storeu_si128(states[l].as_mut_ptr().add(4).cast::<__m128i>(), efgh);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};

    fn reference(secret: &[u8], input: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap();
        mac.update(input);
        mac.finalize().into_bytes().into()
    }

    /// Bytes that look random enough for hashing, from a seed.
    fn bytes(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn agrees_with_the_hmac_crate() {
        // every message length around the padding's edges, several blocks, and keys shorter
        // than, equal to and longer than a block
        for key_len in [0, 1, 32, 63, 64, 65, 200] {
            let secret = bytes(key_len as u64 + 1, key_len);
            let key = Hs256Key::new(&secret);
            for len in (0..300).chain([1000, 1217, 1233, 4096, 16 * 1024]) {
                let input = bytes(len as u64 + 7, len);
                assert_eq!(
                    key.mac(&input),
                    reference(&secret, &input),
                    "key {key_len}, input {len}"
                );
            }
        }
    }

    #[test]
    fn tags_compare_whole() {
        let mac = [0x5au8; 32];
        assert!(bool::from(tag_eq(&mac, &mac)));
        for i in 0..32 {
            for bit in 0..8 {
                let mut other = mac;
                other[i] ^= 1 << bit;
                assert!(!bool::from(tag_eq(&mac, &other)), "{i} {bit}");
            }
        }
        assert!(!bool::from(tag_eq(&mac, &mac[..31])));
        assert!(!bool::from(tag_eq(&mac, &[0x5a; 33])));
        assert!(!bool::from(tag_eq(&mac, &[])));
    }

    #[test]
    fn pairs_agree_with_single_macs() {
        let keys = [Hs256Key::new(b"first secret"), Hs256Key::new(&[7u8; 100])];
        let lens = [
            0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 129, 500, 1217, 1233, 3000,
        ];
        for &la in &lens {
            for &lb in &lens {
                let (a, b) = (bytes(la as u64, la), bytes(lb as u64 + 99, lb));
                let pair = Hs256Key::mac_pair(&keys[0], &a, &keys[1], &b);
                assert_eq!(pair[0], keys[0].mac(&a), "{la} {lb}");
                assert_eq!(pair[1], keys[1].mac(&b), "{la} {lb}");
                let same = Hs256Key::mac_pair(&keys[1], &a, &keys[0], &a);
                assert_eq!(same, [keys[1].mac(&a), keys[0].mac(&a)], "{la}");
            }
        }
    }

    #[test]
    fn streams_agree_with_the_hmac_crate() {
        // any number of steps between none and more than the message has blocks
        let secret = b"stream secret";
        let key = Hs256Key::new(secret);
        for len in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 129, 456, 500, 1233] {
            let input = bytes(len as u64 + 3, len);
            let blocks = Padded::new(&input).blocks();
            for steps in 0..=blocks + 2 {
                let mut stream = key.stream(&input);
                for _ in 0..steps {
                    stream.step();
                }
                assert_eq!(
                    stream.finish(),
                    reference(secret, &input),
                    "{len} bytes, {steps} steps"
                );
            }
        }
    }

    #[test]
    fn compression_agrees_with_sha2_on_every_path() {
        // the portable path and the SHA-extensions path (where the CPU has them), one lane and
        // two, against the sha2 crate
        let data = bytes(3, 10 * BLOCK);
        let mut expected = IV;
        for block in data.chunks_exact(BLOCK) {
            sha2::compress256(&mut expected, &[*GenericArray::from_slice(block)]);
        }
        let mut one = IV;
        compress(&mut [&mut one], [&data[..]]);
        assert_eq!(one, expected);
        let (mut a, mut b) = (IV, IV);
        compress(&mut [&mut a, &mut b], [&data[..], &data[..]]);
        assert_eq!([a, b], [expected, expected]);
        let (mut a, mut b) = (IV, IV);
        compress_portable(&mut [&mut a, &mut b], [&data[..], &data[..BLOCK * 10]]);
        assert_eq!([a, b], [expected, expected]);
        #[cfg(target_arch = "x86_64")]
        if ni::available() {
            let (mut a, mut b) = (IV, IV);
            // SAFETY: checked just above.
            unsafe { ni::compress(&mut [&mut a, &mut b], [&data[..], &data[..]]) };
            assert_eq!([a, b], [expected, expected]);
        }
    }
}
