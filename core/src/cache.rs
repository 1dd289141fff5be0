//! The worker's cache of public-key verdicts: the tokens whose signature verified, so that a
//! repeated RS/PS/ES/EdDSA token costs a lookup instead of a verification.
//!
//! - An entry is the whole token (the key of the map, compared byte for byte: a verdict is
//!   only ever reused for the identical token) with its verified texts and time claims,
//!   under the verifier (the location's keys, algorithms, issuers and audiences) that
//!   accepted it; a token used in several locations has an entry for each. Only accepted
//!   tokens are kept: a forged or unknown token costs one verification.
//! - What the token's bytes decide is not decided again: its signature, `iss` and `aud`.
//!   Its `exp`, `nbf` and `iat` are checked against the clock on every request, and the
//!   profile's claims (the caller's) too.
//! - One cache per thread, that is per nginx worker. Each configuration has its own
//!   generation: the first lookup under a newer one empties the cache (a reload in the same
//!   process; new workers start empty anyway).
//! - Bounded: at most [`MAX_ENTRIES`] tokens and [`MAX_BYTES`] bytes of tokens and texts; the
//!   oldest entries go first.
//!
//! [`Verifier::verify`]: crate::Verifier::verify

use std::cell::{Cell, RefCell};
use std::collections::{hash_map, HashMap, VecDeque};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::jws::CachedToken;

/// The most tokens kept per worker.
pub const MAX_ENTRIES: usize = 1024;
/// The most bytes kept per worker: tokens, headers and claims.
pub const MAX_BYTES: usize = 4 << 20;
/// What an entry is counted for besides its texts (map slot, queue slot, allocations).
const ENTRY_OVERHEAD: usize = 96;

static GENERATION: AtomicU64 = AtomicU64::new(0);
static VERIFIER: AtomicU64 = AtomicU64::new(0);

/// A verifier's place in the cache: its configuration's generation and its own number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheKey {
    generation: u64,
    verifier: u64,
}

impl CacheKey {
    /// A new place, in the current configuration's generation.
    pub fn new() -> CacheKey {
        CacheKey {
            generation: GENERATION.load(Ordering::Relaxed),
            verifier: VERIFIER.fetch_add(1, Ordering::Relaxed),
        }
    }
}

impl Default for CacheKey {
    fn default() -> Self {
        CacheKey::new()
    }
}

/// Starts a new configuration's generation: what was cached under the previous ones is
/// dropped at the next lookup. Called when a configuration is read.
pub fn new_generation() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

struct Entry {
    verifier: u64,
    token: CachedToken,
}

/// The entries of each token (one per verifier that verified it: locations each have their
/// own), and the order they came in.
#[derive(Default)]
struct Cache {
    generation: u64,
    entries: HashMap<Rc<[u8]>, Vec<Entry>>,
    order: VecDeque<(Rc<[u8]>, u64)>,
    count: usize,
    bytes: usize,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
    /// Lookups since the last [`take_lookups`]: hits, misses.
    static LOOKUPS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// The lookups made since the last call (hits, misses), for the caller's counters.
pub fn take_lookups() -> (u64, u64) {
    LOOKUPS.with(|l| l.replace((0, 0)))
}

fn size(token: &[u8], cached: &CachedToken) -> usize {
    token.len() + cached.signed.header.len() + cached.signed.payload.len() + ENTRY_OVERHEAD
}

impl Cache {
    /// Empties the cache when `at` is of another generation than what it holds.
    fn enter(&mut self, at: CacheKey) {
        if self.generation != at.generation {
            *self = Cache {
                generation: at.generation,
                ..Cache::default()
            };
        }
    }

    fn evict_oldest(&mut self) {
        let Some((token, verifier)) = self.order.pop_front() else {
            return;
        };
        let hash_map::Entry::Occupied(mut slot) = self.entries.entry(token) else {
            return;
        };
        let list = slot.get_mut();
        if let Some(i) = list.iter().position(|e| e.verifier == verifier) {
            let entry = list.swap_remove(i);
            self.bytes -= size(slot.key(), &entry.token);
            self.count -= 1;
        }
        if slot.get().is_empty() {
            slot.remove();
        }
    }
}

/// What the cache holds for `token` under the verifier at `at`.
pub fn get(at: CacheKey, token: &[u8]) -> Option<CachedToken> {
    let found = CACHE.with(|cache| {
        let mut cache = cache.try_borrow_mut().ok()?;
        cache.enter(at);
        cache
            .entries
            .get(token)?
            .iter()
            .find(|entry| entry.verifier == at.verifier)
            .map(|entry| entry.token.clone())
    });
    LOOKUPS.with(|l| {
        let (hits, misses) = l.get();
        l.set(match found {
            Some(_) => (hits + 1, misses),
            None => (hits, misses + 1),
        });
    });
    found
}

/// Keeps `token`'s verdict under the verifier at `at`, dropping the oldest entries to stay
/// within the bounds. A token too big for the cache is not kept.
pub fn put(at: CacheKey, token: &[u8], cached: CachedToken) {
    let needed = size(token, &cached);
    if needed > MAX_BYTES {
        return;
    }
    CACHE.with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return;
        };
        cache.enter(at);
        while cache.count >= MAX_ENTRIES || cache.bytes + needed > MAX_BYTES {
            cache.evict_oldest();
        }
        let cache = &mut *cache;
        let entry = Entry {
            verifier: at.verifier,
            token: cached,
        };
        // the token's text once, shared by its entries and the queue
        let shared = match cache.entries.entry(Rc::from(token)) {
            hash_map::Entry::Occupied(mut slot) => {
                if slot.get().iter().any(|e| e.verifier == at.verifier) {
                    return;
                }
                slot.get_mut().push(entry);
                slot.key().clone()
            }
            hash_map::Entry::Vacant(slot) => {
                let shared = slot.key().clone();
                slot.insert(vec![entry]);
                shared
            }
        };
        cache.order.push_back((shared, at.verifier));
        cache.count += 1;
        cache.bytes += needed;
    });
}

/// The number of tokens and bytes held (for tests).
pub fn usage() -> (usize, usize) {
    CACHE.with(|cache| {
        cache
            .try_borrow()
            .map(|c| (c.count, c.bytes))
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, SignedPayload};

    fn signed(n: usize) -> CachedToken {
        CachedToken {
            signed: SignedPayload {
                header: b"{}".to_vec(),
                algorithm: Algorithm::RS256,
                payload: vec![b'x'; n],
            },
            times: [None; 3],
        }
    }

    #[test]
    fn bounded_in_entries_and_bytes() {
        let at = CacheKey::new();
        for i in 0..MAX_ENTRIES + 10 {
            put(at, format!("t{i}").as_bytes(), signed(10));
        }
        assert_eq!(usage().0, MAX_ENTRIES);
        assert!(get(at, b"t0").is_none(), "oldest dropped");
        assert!(get(at, format!("t{}", MAX_ENTRIES + 9).as_bytes()).is_some());
        for i in 0..10 {
            put(at, format!("big{i}").as_bytes(), signed(MAX_BYTES / 4));
        }
        assert!(usage().1 <= MAX_BYTES);
        assert!(get(at, b"big9").is_some() && get(at, b"big0").is_none());
        put(at, b"huge", signed(MAX_BYTES));
        assert!(get(at, b"huge").is_none());
    }

    #[test]
    fn keyed_by_verifier_and_emptied_by_a_new_generation() {
        let (a, b) = (CacheKey::new(), CacheKey::new());
        put(a, b"tok", signed(3));
        assert_eq!(get(a, b"tok"), Some(signed(3)));
        assert_eq!(get(b, b"tok"), None);
        // two locations' verifiers keep their own entries of one token
        put(b, b"tok", signed(4));
        assert_eq!(get(a, b"tok"), Some(signed(3)));
        assert_eq!(get(b, b"tok"), Some(signed(4)));
        put(b, b"tok", signed(4));
        assert_eq!(usage().0, 2);
        assert_eq!(get(a, b"tok2"), None);
        new_generation();
        let c = CacheKey::new();
        assert_eq!(get(c, b"tok"), None);
        assert_eq!(usage(), (0, 0));
        assert_eq!(get(a, b"tok"), None);
    }
}
