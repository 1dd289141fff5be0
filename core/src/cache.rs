//! A location's verifier with its cache of public-key verdicts: the tokens whose signature
//! verified, so that a repeated RS/PS/ES/EdDSA token costs a lookup instead of a verification.
//!
//! - An entry is the whole token (the key of the map, compared byte for byte: a verdict is
//!   only ever reused for the identical token) with what [`Verifier::verify`] made of it.
//!   Only accepted tokens are kept: a forged or unknown token costs one verification. HS
//!   tokens are never kept (their MAC costs less than the lookup would save).
//! - What the token's bytes decide is not decided again: its signature, `iss` and `aud`.
//!   Its `exp`, `nbf` and `iat` are checked against the clock on every request, and the
//!   profile's claims (the caller's) too.
//! - The cache belongs to the verifier, so to one location of one configuration, in one
//!   worker (nginx's workers are single-threaded processes): a reload builds new verifiers
//!   with empty caches. It is the one thing of a location that changes at request time.
//! - Bounded: at most [`MAX_ENTRIES`] tokens and [`MAX_BYTES`] bytes of tokens and texts; the
//!   oldest entries go first.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use crate::alg::Family;
use crate::error::Refusal;
use crate::jws::{Verified, Verifier};

/// The most tokens kept per location and worker.
pub const MAX_ENTRIES: usize = 1024;
/// The most bytes kept per location and worker: tokens, headers and claims.
pub const MAX_BYTES: usize = 4 << 20;
/// What an entry is counted for besides its texts (map slot, queue slot, allocations).
const ENTRY_OVERHEAD: usize = 96;

/// The verdicts kept, and the order they came in.
#[derive(Default)]
struct Cache {
    entries: HashMap<Rc<[u8]>, Verified>,
    order: VecDeque<Rc<[u8]>>,
    bytes: usize,
}

fn size(token: &[u8], verified: &Verified) -> usize {
    token.len() + verified.text_len() + ENTRY_OVERHEAD
}

impl Cache {
    fn evict_oldest(&mut self) {
        let oldest = self.order.pop_front();
        if let Some((token, verified)) = oldest.and_then(|t| self.entries.remove_entry(&t)) {
            self.bytes -= size(&token, &verified);
        }
    }

    /// Keeps `token`'s verdict, dropping the oldest entries to stay within the bounds. A
    /// token too big for the cache is not kept.
    fn put(&mut self, token: &[u8], verified: &Verified) {
        let needed = size(token, verified);
        if needed > MAX_BYTES || self.entries.contains_key(token) {
            return;
        }
        while self.entries.len() >= MAX_ENTRIES || self.bytes + needed > MAX_BYTES {
            self.evict_oldest();
        }
        let token: Rc<[u8]> = Rc::from(token);
        self.entries.insert(token.clone(), verified.clone());
        self.order.push_back(token);
        self.bytes += needed;
    }
}

/// A location's [`Verifier`], with a cache when it has public keys.
pub struct CachedVerifier {
    /// The keys, algorithms and claims the location accepts.
    pub verifier: Verifier,
    cache: Option<RefCell<Cache>>,
    /// Lookups since the last [`CachedVerifier::take_lookups`]: hits, misses.
    lookups: Cell<(u64, u64)>,
}

impl From<Verifier> for CachedVerifier {
    /// A cache only when some key is a public key.
    fn from(verifier: Verifier) -> CachedVerifier {
        let public = verifier.keys.iter().any(|key| key.family() != Family::Hmac);
        CachedVerifier {
            verifier,
            cache: public.then(RefCell::default),
            lookups: Cell::new((0, 0)),
        }
    }
}

impl CachedVerifier {
    /// [`Verifier::verify`], through the cache: the same public-key token again skips all
    /// but the time checks.
    pub fn verify(&self, token: &[u8], now: i64) -> Result<Verified, Refusal> {
        let Some(cache) = &self.cache else {
            return self.verifier.verify(token, now);
        };
        let hit = cache
            .try_borrow()
            .ok()
            .and_then(|cache| cache.entries.get(token).cloned());
        let (hits, misses) = self.lookups.get();
        if let Some(verified) = hit {
            self.lookups.set((hits + 1, misses));
            self.verifier.check_times(verified.times, now)?;
            return Ok(verified);
        }
        self.lookups.set((hits, misses + 1));
        let verified = self.verifier.verify(token, now)?;
        if verified.algorithm.mac_len().is_none() {
            if let Ok(mut cache) = cache.try_borrow_mut() {
                cache.put(token, &verified);
            }
        }
        Ok(verified)
    }

    /// The lookups made since the last call (hits, misses), for the caller's counters.
    pub fn take_lookups(&self) -> (u64, u64) {
        self.lookups.replace((0, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{b64, keys, Algorithm, AlgorithmSet, Key, NumericDate};
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};

    impl CachedVerifier {
        /// The number of tokens and bytes held.
        fn usage(&self) -> (usize, usize) {
            let cache = self.cache.as_ref().map(|cache| cache.borrow());
            cache.map_or((0, 0), |cache| (cache.entries.len(), cache.bytes))
        }
    }

    /// An Ed25519 key pair (aws-lc-rs), the verifier of its public key, and a signer.
    fn ed25519() -> (CachedVerifier, impl Fn(&str) -> Vec<u8>) {
        let pair = Ed25519KeyPair::generate().expect("a key pair");
        let jwk = format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
            b64::encode(pair.public_key().as_ref())
        );
        let mut algorithms = AlgorithmSet::empty();
        algorithms.insert(Algorithm::EdDSA);
        let verifier = CachedVerifier::from(Verifier {
            keys: Rc::from(keys::load(jwk.as_bytes()).expect("the key")),
            algorithms,
            ..Verifier::default()
        });
        let sign = move |claims: &str| {
            let input = format!(
                "{}.{}",
                b64::encode(br#"{"alg":"EdDSA"}"#),
                b64::encode(claims.as_bytes())
            );
            let signature = pair.sign(input.as_bytes());
            format!("{input}.{}", b64::encode(signature.as_ref())).into_bytes()
        };
        (verifier, sign)
    }

    #[test]
    fn keeps_accepted_public_key_tokens_and_checks_their_times() {
        let (v, sign) = ed25519();
        let token = sign(r#"{"sub":"a","exp":100}"#);
        assert!(v.verify(&token, 50).is_ok());
        assert_eq!(v.take_lookups(), (0, 1));
        assert_eq!(v.usage().0, 1);
        let hit = v.verify(&token, 60).map(|t| t.times);
        assert_eq!(hit, Ok([Some(NumericDate::Int(100)), None, None]));
        assert_eq!(v.verify(&token, 100), Err(Refusal::Expired));
        assert_eq!(v.take_lookups(), (2, 0));
        // a refused token is not kept, an altered one is another token
        let mut forged = token.clone();
        let last = forged.pop();
        forged.push(if last == Some(b'A') { b'B' } else { b'A' });
        assert!(v.verify(&forged, 50).is_err());
        assert!(v.verify(&forged, 50).is_err());
        assert_eq!((v.take_lookups(), v.usage().0), ((0, 2), 1));
        // another location's verifier has its own cache
        let (other, _) = ed25519();
        assert_eq!(other.verify(&token, 50), Err(Refusal::Signature));
        assert_eq!(other.usage().0, 0);
    }

    #[test]
    fn no_cache_for_secrets() {
        let v = CachedVerifier::from(Verifier {
            keys: Rc::from(vec![Key::new(b"secret")]),
            algorithms: AlgorithmSet::default_set(),
            ..Verifier::default()
        });
        let input = format!(
            "{}.{}",
            b64::encode(br#"{"alg":"HS256"}"#),
            b64::encode(b"{}")
        );
        let sig = Key::new(b"secret").sign(Algorithm::HS256, input.as_bytes());
        let token = format!("{input}.{}", sig.unwrap_or_default());
        assert!(v.verify(token.as_bytes(), 0).is_ok());
        assert_eq!((v.take_lookups(), v.usage()), ((0, 0), (0, 0)));
    }

    #[test]
    fn bounded_in_entries_and_bytes() {
        let (v, sign) = ed25519();
        let verified = |claims: &str| v.verifier.verify(&sign(claims), 0).expect("verifies");
        let small = verified("{}");
        let mut cache = Cache::default();
        for i in 0..MAX_ENTRIES + 10 {
            cache.put(format!("t{i}").as_bytes(), &small);
        }
        assert_eq!(cache.entries.len(), MAX_ENTRIES);
        assert!(!cache.entries.contains_key(&b"t0"[..]), "oldest dropped");
        assert!(cache
            .entries
            .contains_key(format!("t{}", MAX_ENTRIES + 9).as_bytes()));
        let big = verified(&format!(r#"{{"x":"{}"}}"#, "x".repeat(MAX_BYTES / 4)));
        for i in 0..10 {
            cache.put(format!("big{i}").as_bytes(), &big);
        }
        assert!(cache.bytes <= MAX_BYTES);
        assert!(cache.entries.contains_key(&b"big9"[..]));
        assert!(!cache.entries.contains_key(&b"big0"[..]));
        let huge = verified(&format!(r#"{{"x":"{}"}}"#, "x".repeat(MAX_BYTES)));
        cache.put(b"huge", &huge);
        assert!(!cache.entries.contains_key(&b"huge"[..]));
    }
}
