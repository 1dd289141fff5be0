//! The JWS algorithms (RFC 7518 §3 and EdDSA, RFC 8037), the kinds of key that verify them,
//! and sets of them: what every other part of the verifier names.

/// A JWS algorithm of RFC 7518 §3 (and EdDSA, RFC 8037). `none` is not one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256 (salt of the hash's length).
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA with P-256 and SHA-256.
    ES256,
    /// ECDSA with P-384 and SHA-384.
    ES384,
    /// ECDSA with P-521 and SHA-512.
    ES512,
    /// EdDSA with Ed25519.
    EdDSA,
}

/// The kinds of key, each verifying its own algorithms only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// An HMAC secret (`kty: oct`): HS256, HS384, HS512.
    Hmac,
    /// An RSA public key: RS256 ... PS512.
    Rsa,
    /// An EC public key on P-256 (ES256), P-384 (ES384) or P-521 (ES512).
    Ec(Curve),
    /// An Ed25519 public key (`kty: OKP`): EdDSA.
    Ed25519,
}

/// The curves of ECDSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

/// The names of [`Algorithm::ALL`], in its order.
const NAMES: [&str; 13] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
    "ES384", "ES512", "EdDSA",
];

impl Algorithm {
    /// Every algorithm, in the order of their names' documentation.
    pub const ALL: [Algorithm; 13] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::EdDSA,
    ];

    /// Parses an algorithm name, exactly as written (`HS256`, not `hs256`).
    pub fn from_name(name: &[u8]) -> Option<Algorithm> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.name().as_bytes() == name)
    }

    /// The name as written in a JOSE header.
    pub fn name(self) -> &'static str {
        let mut names = Self::ALL.into_iter().zip(NAMES);
        names
            .find(|(alg, _)| *alg == self)
            .map_or("", |(_, name)| name)
    }

    /// The kind of key that verifies it.
    pub fn family(self) -> Family {
        match self {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Family::Hmac,
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => Family::Rsa,
            Algorithm::ES256 => Family::Ec(Curve::P256),
            Algorithm::ES384 => Family::Ec(Curve::P384),
            Algorithm::ES512 => Family::Ec(Curve::P521),
            Algorithm::EdDSA => Family::Ed25519,
        }
    }

    /// The length of an HMAC algorithm's MAC, in bytes (its minimum key length too).
    pub const fn mac_len(self) -> Option<usize> {
        match self {
            Algorithm::HS256 => Some(32),
            Algorithm::HS384 => Some(48),
            Algorithm::HS512 => Some(64),
            _ => None,
        }
    }
}

/// A set of allowed algorithms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlgorithmSet(u16);

impl AlgorithmSet {
    /// No algorithm.
    pub const fn empty() -> Self {
        AlgorithmSet(0)
    }
    /// The default of `onlyoffice_jwt_algorithms`: HS256.
    pub const fn default_set() -> Self {
        AlgorithmSet(1)
    }
    /// Adds an algorithm.
    pub fn insert(&mut self, alg: Algorithm) {
        self.0 |= Self::bit(alg);
    }
    /// Whether the algorithm is allowed.
    pub fn contains(self, alg: Algorithm) -> bool {
        self.0 & Self::bit(alg) != 0
    }
    /// Whether no algorithm is allowed.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The allowed algorithms.
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(move |alg| self.contains(*alg))
    }
    fn bit(alg: Algorithm) -> u16 {
        1 << Algorithm::ALL.iter().position(|a| *a == alg).unwrap_or(15)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.name().as_bytes()), Some(alg));
            // the variants are spelled as the names
            assert_eq!(alg.name(), format!("{alg:?}"));
        }
        for name in [
            &b"hs256"[..],
            b"none",
            b"rs256",
            b"EDDSA",
            b"ES521",
            b"HS256 ",
            b"",
        ] {
            assert_eq!(Algorithm::from_name(name), None);
        }
        assert_eq!(Algorithm::HS384.mac_len(), Some(48));
    }

    #[test]
    fn algorithm_set() {
        let mut set = AlgorithmSet::empty();
        assert!(set.is_empty());
        set.insert(Algorithm::HS512);
        assert!(set.contains(Algorithm::HS512));
        assert!(!set.contains(Algorithm::HS256));
        assert!(AlgorithmSet::default_set().contains(Algorithm::HS256));
        assert!(!AlgorithmSet::default_set().contains(Algorithm::HS384));
        let mut all = AlgorithmSet::empty();
        for alg in Algorithm::ALL {
            assert!(!all.contains(alg));
            all.insert(alg);
        }
        assert!(all.iter().eq(Algorithm::ALL));
    }
}
