//! JWT verification and the ONLYOFFICE request policy of ngx-onlyoffice-jwt.
//!
//! Nothing here knows nginx: the module's glue (`src/` of the parent crate) collects the
//! request's pieces into a [`policy::RequestParts`], calls [`policy::check`], and turns the
//! [`Refusal`] it may get into a status, a `WWW-Authenticate` header and a log line.
//! Keeping it free of nginx symbols lets `cargo test -p onlyoffice-jwt-core` run it directly.
//!
//! On Linux, the functions a header token's check runs are placed in one section,
//! `.text.hot.onlyoffice_jwt`, and those only a body check adds in another,
//! `.text.hot.onlyoffice_jwt_body`; linkers lay each out in one piece. Between two requests
//! the kernel and nginx push the check's code out of the CPU's caches, and each request
//! fetches it again, so the fewer pages and lines it spans the cheaper the check.

pub mod b64;
pub mod error;
pub mod hs256;
pub mod json;
pub mod jws;
pub mod policy;
pub mod profile;
pub mod scan;

pub use error::Refusal;
pub use jws::{Algorithm, AlgorithmSet, Key, NumericDate, Verified, Verifier};
pub use policy::{check, Accepted, RequestParts};
pub use profile::Profile;
