//! JWT verification and the ONLYOFFICE request policy of ngx-onlyoffice-jwt.
//!
//! Nothing here knows nginx: the module's glue (`src/` of the parent crate) collects the
//! request's pieces into a [`policy::RequestParts`], calls [`policy::check`], and turns the
//! [`Refusal`] it may get into a status, a `WWW-Authenticate` header and a log line.
//! Keeping it free of nginx symbols lets `cargo test -p onlyoffice-jwt-core` run it directly.
//!
//! The primitives are the well-kept crates': `hmac` and `sha2` for the MACs, `subtle` to
//! compare them, `jsonwebtoken` (on `aws-lc-rs`) for the public-key signatures and keys,
//! `base64` for base64url and `serde_json` for JSON.

#![forbid(unsafe_code)]

pub mod alg;
pub mod b64;
pub mod cache;
pub mod error;
pub mod json;
pub mod jws;
pub mod keys;
pub mod policy;
pub mod profile;
pub mod render;

pub use alg::{Algorithm, AlgorithmSet, Curve, Family};
pub use cache::CachedVerifier;
pub use error::Refusal;
pub use jws::{NumericDate, SignedPayload, Verified, Verifier};
pub use keys::Key;
pub use policy::{check, Accepted, Header, RequestParts};
pub use profile::Profile;
