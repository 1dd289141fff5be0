//! Why a request was refused.

use thiserror::Error;

/// A refusal, named as `$onlyoffice_jwt_error` names it.
///
/// The `Display` text is the reason written to the error log; it never contains the token,
/// a claim value or a secret.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum Refusal {
    /// No token where the profile looks: 401 without `error=`.
    #[error("no token")]
    Missing,
    /// The token is not a strict compact JWS with JSON object header and claims, or a
    /// standard claim has the wrong type, or a token member/argument is ambiguous: 401.
    #[error("malformed token")]
    Malformed,
    /// `alg` missing, not a string, not allowed, or `crit` present: 401.
    #[error("algorithm not allowed")]
    Algorithm,
    /// No configured secret produces the signature: 401.
    #[error("bad signature")]
    Signature,
    /// `exp` passed (beyond the leeway), or missing where it is required: 401.
    #[error("token expired")]
    Expired,
    /// `nbf` or `iat` in the future (beyond the leeway): 401.
    #[error("token not yet valid")]
    NotYetValid,
    /// `iss` is not one of `onlyoffice_jwt_issuer`'s values: 401.
    #[error("issuer not accepted")]
    Issuer,
    /// `aud` holds none of `onlyoffice_jwt_audience`'s values: 401.
    #[error("audience not accepted")]
    Audience,
    /// A valid token whose claims do not fit the profile: 403.
    #[error("claims do not fit the profile")]
    Claims,
    /// The JSON body differs from the verified claims (callback): 403.
    #[error("body does not match the token")]
    BodyMismatch,
    /// The body is bigger than `onlyoffice_jwt_body_limit`: 413.
    #[error("body too large")]
    BodyTooLarge,
    /// An `onlyoffice_jwt_require` value was empty or `0`: 403 (or its `error=`).
    #[error("requirement not met")]
    Require,
    /// The body cannot be used: `builder` with a body that is not JSON, or a body that looks
    /// like JSON but is not strict JSON (duplicate members, bad UTF-8, too deep): 400.
    /// `$onlyoffice_jwt_error` says `malformed` for it.
    #[error("bad request body")]
    BadBody,
    /// A body profile's request has a `Content-Encoding` other than `identity`: the Document
    /// Server inflates a gzip body, the module would not see its JSON: 415.
    #[error("body content-encoding not supported")]
    Encoding,
}

impl Refusal {
    /// The value of `$onlyoffice_jwt_error`.
    pub fn name(self) -> &'static str {
        match self {
            Refusal::Missing => "missing",
            Refusal::Malformed | Refusal::BadBody => "malformed",
            Refusal::Algorithm => "algorithm",
            Refusal::Signature => "signature",
            Refusal::Expired => "expired",
            Refusal::NotYetValid => "not_yet_valid",
            Refusal::Issuer => "issuer",
            Refusal::Audience => "audience",
            Refusal::Claims => "claims",
            Refusal::BodyMismatch => "body_mismatch",
            Refusal::BodyTooLarge => "body_too_large",
            Refusal::Require => "require",
            Refusal::Encoding => "encoding",
        }
    }

    /// The HTTP status SPEC gives.
    pub fn status(self) -> u16 {
        match self {
            Refusal::Missing
            | Refusal::Malformed
            | Refusal::Algorithm
            | Refusal::Signature
            | Refusal::Expired
            | Refusal::NotYetValid
            | Refusal::Issuer
            | Refusal::Audience => 401,
            Refusal::Claims | Refusal::BodyMismatch | Refusal::Require => 403,
            Refusal::BodyTooLarge => 413,
            Refusal::BadBody => 400,
            Refusal::Encoding => 415,
        }
    }

    /// Whether a 401 carries `error="invalid_token"` (a token was there but is not good).
    pub fn invalid_token(self) -> bool {
        self.status() == 401 && self != Refusal::Missing
    }
}
