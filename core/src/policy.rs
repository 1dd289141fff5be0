//! Where each profile finds its token and what the verified claims must hold.
//!
//! The token sources mirror the Document Server's `getRequestParams`: a JSON body's truthy
//! `token` member, else (for a body that is not JSON, or no body) the `token` query argument,
//! else the `Bearer` header. Unlike the Document Server, a header token sent next to that
//! primary token is verified and checked too: a request carrying any bad token is refused.

use std::borrow::Cow;

use crate::cache::CachedVerifier;
use crate::error::Refusal;
use crate::json;
use crate::jws::Verified;
use crate::profile::Profile;

/// The pieces of a request the policy looks at, collected by the nginx glue.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestParts<'a> {
    /// `onlyoffice_jwt_token`'s value, when that directive is set (only `bearer` uses it;
    /// an empty value is "no token").
    pub token_override: Option<&'a [u8]>,
    /// The request header named by `onlyoffice_jwt_header`.
    pub header: Header<'a>,
    /// The raw query string (`$args`), without the `?`.
    pub args: &'a [u8],
    /// The whole request body, for the profiles that read it; `None` when there is none.
    pub body: Option<&'a [u8]>,
    /// The request target as the client sent it (`$request_uri`), for `download`.
    pub request_uri: &'a [u8],
}

/// The request header that carries a token: absent, one value, or sent more than once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Header<'a> {
    #[default]
    Absent,
    One(&'a [u8]),
    /// Sent twice or more: which one counts is ambiguous.
    Ambiguous,
}

impl<'a> Header<'a> {
    /// The header of these values, in the order the request has them.
    pub fn of(values: &[&'a [u8]]) -> Self {
        match values {
            [] => Header::Absent,
            [value] => Header::One(value),
            _ => Header::Ambiguous,
        }
    }
}

/// What an accepted request carries on to the variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// The token the profile treats as authoritative (the body token when there is one).
    pub token: Verified,
}

/// Checks a request against a concrete profile (`bearer`, `command`, `convert`, `builder`,
/// `callback` or `download`; not `off` nor `documentserver`, which the caller resolves first
/// with [`Profile::classify_documentserver_path`]). Given `off` or `documentserver` anyway, it fails closed with
/// [`Refusal::Claims`].
pub fn check(
    profile: Profile,
    parts: &RequestParts<'_>,
    verifier: &CachedVerifier,
    now: i64,
) -> Result<Accepted, Refusal> {
    match profile {
        Profile::Bearer => check_bearer(parts, verifier, now),
        Profile::Download => check_download(parts, verifier, now),
        Profile::Command | Profile::Convert | Profile::Builder | Profile::Callback => {
            check_body_profile(profile, parts, verifier, now)
        }
        Profile::Off | Profile::DocumentServer => Err(Refusal::Claims),
    }
}

/// The token of a `Bearer <jwt>` header value: the scheme word matched case-insensitively,
/// then one or more spaces; `None` for another scheme or an empty token.
///
/// Spaces and tabs after the scheme and at the end are skipped. A value with a space inside
/// the token (`Bearer a b`) gives the whole rest, which then fails verification as
/// malformed rather than being cut silently.
pub fn bearer_token(value: &[u8]) -> Option<&[u8]> {
    const SCHEME: &[u8] = b"Bearer";
    let scheme = value.get(..SCHEME.len())?;
    let rest = value.get(SCHEME.len()..)?;
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    if !scheme.eq_ignore_ascii_case(SCHEME) || !rest.first().is_some_and(blank) {
        return None;
    }
    let start = rest.iter().position(|b| !blank(b))?;
    let end = rest.iter().rposition(|b| !blank(b))?;
    rest.get(start..=end)
}

/// The header token: none without a header or for another scheme; two headers are
/// ambiguous.
fn header_token<'a>(parts: &RequestParts<'a>) -> Result<Option<&'a [u8]>, Refusal> {
    match parts.header {
        Header::Absent => Ok(None),
        Header::One(value) => Ok(bearer_token(value)),
        Header::Ambiguous => Err(Refusal::Malformed),
    }
}

/// `bearer`: `onlyoffice_jwt_token` if set, else the header; nothing beyond verification.
fn check_bearer(
    parts: &RequestParts<'_>,
    verifier: &CachedVerifier,
    now: i64,
) -> Result<Accepted, Refusal> {
    let token = match parts.token_override {
        Some([]) => return Err(Refusal::Missing),
        Some(token) => token,
        None => header_token(parts)?.ok_or(Refusal::Missing)?,
    };
    Ok(Accepted {
        token: verifier.verify(token, now)?,
    })
}

/// `download`: the header token, whose `payload.url` has the request's path and query.
fn check_download(
    parts: &RequestParts<'_>,
    verifier: &CachedVerifier,
    now: i64,
) -> Result<Accepted, Refusal> {
    let token = header_token(parts)?.ok_or(Refusal::Missing)?;
    let verified = verifier.verify(token, now)?;
    let url = verified
        .members()
        .nested("payload")
        .and_then(|payload| payload.get("url"))
        .and_then(json::string)
        .ok_or(Refusal::Claims)?;
    if Target::of(url.as_bytes()) != Target::of(parts.request_uri) {
        return Err(Refusal::Claims);
    }
    Ok(Accepted { token: verified })
}

/// The path and query of a URL or request target, normalised for comparison as RFC 3986
/// section 6.2.2 does: the two are equal when they name the same resource.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    path: Vec<u8>,
    query: Vec<u8>,
}

impl Target {
    /// Drops `scheme://authority` and `#fragment`; an empty path is `/`, an absent query is
    /// empty; each part normalised by [`normalize_percent`].
    fn of(url: &[u8]) -> Target {
        let rest = strip_scheme_and_authority(url);
        let rest = match rest.iter().position(|b| *b == b'#') {
            Some(i) => rest.get(..i).unwrap_or_default(),
            None => rest,
        };
        let (path, query) = match rest.iter().position(|b| *b == b'?') {
            Some(i) => (
                rest.get(..i).unwrap_or_default(),
                rest.get(i + 1..).unwrap_or_default(),
            ),
            None => (rest, &b""[..]),
        };
        let path = if path.is_empty() { &b"/"[..] } else { path };
        Target {
            path: normalize_percent(path),
            query: normalize_percent(query),
        }
    }
}

/// RFC 3986 section 6.2.2 percent-encoding normalisation: `%XX` of an unreserved character
/// (`A-Z a-z 0-9 - . _ ~`) is that character, any other `%XX` stays encoded with upper-case
/// hex digits (so `%2F` is not `/`, nor `%26` `&`); a byte that cannot stand in a URI as
/// it is (a control, a space, `"`, `<`, `>`, `\`, `^`, a backquote, `{`, `|`, `}`,
/// non-ASCII) is written as its `%XX`, which is what a client sends for it. `%` without two
/// hex digits is kept as it is.
fn normalize_percent(input: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(input.len());
    for unit in percent_units(input) {
        let (byte, keep) = match unit {
            Unit::Encoded(b) => (b, is_unreserved(b)),
            Unit::Raw(b) => (b, is_unreserved(b) || is_reserved(b) || b == b'%'),
        };
        if keep {
            out.push(byte);
        } else {
            // a nibble indexes the 16 digits
            out.extend_from_slice(&[
                b'%',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0x0f)],
            ]);
        }
    }
    out
}

/// A byte of a percent-encoded text: written as `%XX`, or as it is (`%` included when no
/// two hex digits follow it).
#[derive(Clone, Copy)]
enum Unit {
    Encoded(u8),
    Raw(u8),
}

/// The bytes of a percent-encoded text, in order.
fn percent_units(input: &[u8]) -> impl Iterator<Item = Unit> + '_ {
    let mut i = 0;
    core::iter::from_fn(move || {
        let b = *input.get(i)?;
        let hex = match (b, input.get(i + 1), input.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex_value(h).zip(hex_value(l)),
            _ => None,
        };
        Some(match hex {
            Some((h, l)) => {
                i += 3;
                Unit::Encoded((h << 4) | l)
            }
            None => {
                i += 1;
                Unit::Raw(b)
            }
        })
    })
}

/// RFC 3986 `unreserved`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 `reserved` (`gen-delims` and `sub-delims`).
fn is_reserved(b: u8) -> bool {
    b":/?#[]@!$&'()*+,;=".contains(&b)
}

/// `scheme://authority` (scheme: letters, digits, `+ - .`; authority: up to the next `/`,
/// `?` or `#`) removed from the front of `url`, if it is there.
fn strip_scheme_and_authority(url: &[u8]) -> &[u8] {
    let Some(colon) = url.iter().position(|b| *b == b':') else {
        return url;
    };
    let (scheme, rest) = url.split_at(colon);
    let is_scheme_byte = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.');
    let Some(after) = rest.strip_prefix(b"://") else {
        return url;
    };
    if scheme.is_empty() || !scheme.iter().all(is_scheme_byte) {
        return url;
    }
    let end = after
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(after.len());
    after.get(end..).unwrap_or_default()
}

/// Decodes `%XX` (invalid sequences are kept as they are); `+` becomes a space only when
/// `plus_as_space`.
fn percent_decode(input: &[u8], plus_as_space: bool) -> Vec<u8> {
    percent_units(input)
        .map(|unit| match unit {
            Unit::Encoded(b) => b,
            Unit::Raw(b'+') if plus_as_space => b' ',
            Unit::Raw(b) => b,
        })
        .collect()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// How many arguments of `args` (`$args`) an application could read as `name`:
/// `onlyoffice_jwt_token $arg_NAME` refuses a request with more than one, since nginx takes
/// the first and many frameworks the last. Pairs are split on `&` and `;`, and names
/// compared after the ways applications read them: percent-decoded (`+` as a space),
/// ASCII case-insensitively (as nginx's `$arg_`), and `.` or a space as `_` (as PHP does).
pub fn count_args(args: &[u8], name: &[u8]) -> usize {
    let wanted = app_name(name);
    args.split(|b| matches!(b, b'&' | b';'))
        .filter(|pair| {
            let end = pair.iter().position(|b| *b == b'=').unwrap_or(pair.len());
            pair.get(..end)
                .is_some_and(|n| app_name(&percent_decode(n, true)) == wanted)
        })
        .count()
}

/// How many cookies of the `Cookie` header values an application could read as `name`
/// (pairs split on `;` and, as nginx's `$cookie_` does, `,`; names compared as
/// [`count_args`] compares them, blanks around them skipped).
pub fn count_cookies(values: &[&[u8]], name: &[u8]) -> usize {
    let wanted = app_name(name);
    values
        .iter()
        .flat_map(|value| value.split(|b| matches!(b, b';' | b',')))
        .filter(|pair| {
            let end = pair.iter().position(|b| *b == b'=').unwrap_or(pair.len());
            pair.get(..end)
                .is_some_and(|n| app_name(&percent_decode(n.trim_ascii(), true)) == wanted)
        })
        .count()
}

/// A parameter name as applications compare it: lower case, `.` and space as `_`.
fn app_name(name: &[u8]) -> Vec<u8> {
    name.iter()
        .map(|b| match b.to_ascii_lowercase() {
            b'.' | b' ' => b'_',
            b => b,
        })
        .collect()
}

/// A body profile's `Content-Encoding`: none, or `identity`. Any other coding (the Document
/// Server inflates gzip and deflate bodies) would hide the JSON the module checks:
/// [`Refusal::Encoding`].
pub fn check_content_encoding(values: &[&[u8]]) -> Result<(), Refusal> {
    let identity = |v: &&[u8]| {
        v.split(|b| *b == b',')
            .map(<[u8]>::trim_ascii)
            .all(|coding| coding.is_empty() || coding.eq_ignore_ascii_case(b"identity"))
    };
    if values.iter().all(identity) {
        Ok(())
    } else {
        Err(Refusal::Encoding)
    }
}

/// What the body is, as far as finding a token goes.
#[derive(Debug)]
enum Body<'a> {
    /// No body, or only whitespace.
    None,
    /// A body that does not start like JSON (a raw docbuilder script, a form, ...).
    NotJson,
    /// A strict JSON object (its text), and its `token` member's raw text when it has one.
    Object(&'a str, Option<&'a str>),
    /// Strict JSON that is not an object.
    OtherJson,
}

/// Classifies the body; a body that starts like JSON but is not strict JSON is
/// [`Refusal::BadBody`] (the Document Server's own parser might read it differently).
/// Nothing of the body is built but the names of its objects and its `token` string.
fn classify_body(body: Option<&[u8]>) -> Result<Body<'_>, Refusal> {
    let Some(body) = body.filter(|b| !b.iter().all(|c| json::is_whitespace(*c))) else {
        return Ok(Body::None);
    };
    if !json::looks_like_json(body) {
        return Ok(Body::NotJson);
    }
    let body = std::str::from_utf8(body).map_err(|_| Refusal::BadBody)?;
    match json::check(body, ["token"]) {
        Ok(Some([token])) => Ok(Body::Object(body, token)),
        Ok(None) => Ok(Body::OtherJson),
        Err(_) => Err(Refusal::BadBody),
    }
}

/// A JSON body's `token` member, as the Document Server's `if (params.token)` reads it:
/// a non-empty string is the token; `null`, `false`, `0`, `""` or no member is no token;
/// any other (truthy) value cannot be a JWT and is malformed.
fn body_token<'a>(body: &Body<'a>) -> Result<Option<Cow<'a, [u8]>>, Refusal> {
    let Body::Object(_, Some(token)) = body else {
        return Ok(None);
    };
    // the raw text of a strict JSON value: its first byte says its type
    let zero = || json::number(token).is_some_and(|n| n.as_f64() == Some(0.0));
    match token.as_bytes().first() {
        Some(b'n' | b'f') => Ok(None),
        Some(b'-' | b'0'..=b'9') if zero() => Ok(None),
        Some(b'"') => match json::string(token) {
            Some(s) if s.is_empty() => Ok(None),
            Some(Cow::Borrowed(s)) => Ok(Some(Cow::Borrowed(s.as_bytes()))),
            Some(Cow::Owned(s)) => Ok(Some(Cow::Owned(s.into_bytes()))),
            None => Err(Refusal::Malformed),
        },
        _ => Err(Refusal::Malformed),
    }
}

/// The `token` query argument, percent-decoded: none, one (empty is none) or ambiguous.
fn query_token(args: &[u8]) -> Result<Option<Vec<u8>>, Refusal> {
    let mut found = None;
    for pair in args.split(|b| *b == b'&') {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (
                pair.get(..i).unwrap_or_default(),
                pair.get(i + 1..).unwrap_or_default(),
            ),
            None => (pair, &b""[..]),
        };
        if percent_decode(name, true) != b"token" {
            continue;
        }
        if found.is_some() {
            return Err(Refusal::Malformed);
        }
        found = Some(value);
    }
    Ok(found
        .map(|value| percent_decode(value, true))
        .filter(|value| !value.is_empty()))
}

/// Where a token came from; a callback compares a header token's `payload` with the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Body,
    Query,
    /// The header token, the only token or beside a query token.
    Header,
    /// The header token beside a body token (which has checked the body's `history`).
    HeaderBesideBody,
}

/// `command`, `convert`, `builder` and `callback`: find the primary token (and a header
/// token besides it), verify both, and check the claims of both.
fn check_body_profile(
    profile: Profile,
    parts: &RequestParts<'_>,
    verifier: &CachedVerifier,
    now: i64,
) -> Result<Accepted, Refusal> {
    let body = classify_body(parts.body)?;
    if profile == Profile::Builder && matches!(body, Body::NotJson) {
        // The Document Server would run this script unsigned, whatever token comes with it.
        return Err(Refusal::BadBody);
    }
    let header = header_token(parts)?;
    let query = match reads_query_token(profile) {
        true => query_token(parts.args)?,
        false => None,
    };
    let from_body = body_token(&body)?;
    // The Document Server's source: the JSON body's token, else (no JSON body) the query's,
    // else the header's.
    let query_is_source = matches!(body, Body::None | Body::NotJson);
    let (primary, source): (&[u8], Source) = match (&from_body, &query, header) {
        (Some(token), _, _) => (token, Source::Body),
        (None, Some(token), _) if query_is_source => (token, Source::Query),
        (None, _, Some(token)) => (token, Source::Header),
        (None, _, None) => return Err(Refusal::Missing),
    };
    // A callback's body members, listed once its first token has verified, for every token.
    let mut members = None;
    let (accepted, trim) =
        verify_and_fit(profile, &body, &mut members, primary, source, verifier, now)?;
    // Every other token the request carries must verify and fit too, whichever the Document
    // Server reads (some versions read the query's when there is a query).
    let mut header_trim = Trim::None;
    if let Some(token) = header.filter(|_| source != Source::Header) {
        let beside = match source {
            Source::Body => Source::HeaderBesideBody,
            _ => Source::Header,
        };
        (_, header_trim) =
            verify_and_fit(profile, &body, &mut members, token, beside, verifier, now)?;
    }
    if let Some(token) = query.as_deref().filter(|_| source != Source::Query) {
        verify_and_fit(
            profile,
            &body,
            &mut members,
            token,
            Source::Query,
            verifier,
            now,
        )?;
    }
    // a body `history` of `{}` stands for the body token's only beside a trimmed header token
    if trim == Trim::BodyHistoryTrimmed && header_trim != Trim::HeaderTrimmed {
        return Err(Refusal::BodyMismatch);
    }
    Ok(Accepted { token: accepted })
}

/// Whether the Document Server may read a `token` query argument: its `params` are the
/// query when the body is not JSON (or absent), and some versions' `/docbuilder` read the
/// query whenever there is one. A callback goes to the integrator, which reads no query
/// token.
fn reads_query_token(profile: Profile) -> bool {
    matches!(
        profile,
        Profile::Command | Profile::Convert | Profile::Builder
    )
}

/// Verifies one token and checks that its claims fit the profile (and, for `callback`, the
/// body, whose members are listed into `members` the first time).
fn verify_and_fit<'b>(
    profile: Profile,
    body: &Body<'b>,
    members: &mut Option<json::Object>,
    token: &[u8],
    source: Source,
    verifier: &CachedVerifier,
    now: i64,
) -> Result<(Verified, Trim), Refusal> {
    let verified = verifier.verify(token, now)?;
    let trim = match profile {
        Profile::Command => fit_command(&verified).map(|()| Trim::None)?,
        Profile::Convert => fit_inbox(&verified, &["url", "outputtype"]).map(|()| Trim::None)?,
        Profile::Builder => fit_builder(&verified).map(|()| Trim::None)?,
        Profile::Callback => fit_callback(&verified, body, members, source)?,
        _ => Trim::None,
    };
    Ok((verified, trim))
}

/// The commands of the Document Server's command service (`commandFromServer`). A token
/// whose `c` is another word is no command: the editor's `insertImage` (`"add"`) and
/// `setRequestedDocument` (`"compare"`, `"combine"`, ...) tokens carry a `c` too.
const COMMANDS: [&str; 10] = [
    "info",
    "drop",
    "saved",
    "forcesave",
    "meta",
    "getForgotten",
    "deleteForgotten",
    "getForgottenList",
    "version",
    "license",
];

/// A command token: an inbox token whose `c`, as the Document Server reads it
/// ([`ds_param`]), is one of [`COMMANDS`].
fn fit_command(verified: &Verified) -> Result<(), Refusal> {
    fit_inbox(verified, &["c"])?;
    match ds_param(verified, "c").and_then(json::string) {
        Some(c) if COMMANDS.contains(&&*c) => Ok(()),
        _ => Err(Refusal::Claims),
    }
}

/// The registered claims of RFC 7519, which any token may carry.
const REGISTERED: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

/// What the Document Server's `builderRequest` reads from the verified parameters.
const BUILDER_PARAMS: [&str; 4] = ["key", "url", "argument", "async"];

/// A builder token: `url`, and nothing but [`BUILDER_PARAMS`] (flat, or in an object
/// `payload`) besides the registered claims (so no `query` either). Every token an integrator signs for a browser
/// has some other member (`document`, `fileType`, `c`, `images`, `referenceData`, ...), so
/// none of them runs a script.
fn fit_builder(verified: &Verified) -> Result<(), Refusal> {
    fit_inbox(verified, &["url"])?;
    let payload = verified.members().nested("payload");
    let top_ok = verified.members().iter().all(|(name, _)| {
        REGISTERED.contains(&name)
            || BUILDER_PARAMS.contains(&name)
            || (name == "payload" && payload.is_some())
    });
    let payload_ok = payload.is_none_or(|payload| {
        payload
            .iter()
            .all(|(name, _)| BUILDER_PARAMS.contains(&name))
    });
    // `{"payload":{"url":...}}` is the token the Document Server itself signs for every
    // download it makes (sent to the host it downloads from): never a builder request.
    let download_token = payload.is_some_and(|payload| {
        payload.iter().count() == 1
            && payload.has("url")
            && !BUILDER_PARAMS
                .iter()
                .any(|name| verified.members().has(name))
    });
    if top_ok && payload_ok && !download_token {
        Ok(())
    } else {
        Err(Refusal::Claims)
    }
}

/// An inbox token: carries every `required` parameter ([`ds_param`]), and is not an editor
/// or session token (no `document`, no `editorConfig`, at the top, in `payload` or in
/// `query`).
fn fit_inbox(verified: &Verified, required: &[&str]) -> Result<(), Refusal> {
    if ds_param(verified, "document").is_some() || ds_param(verified, "editorConfig").is_some() {
        return Err(Refusal::Claims);
    }
    if required
        .iter()
        .any(|name| ds_param(verified, name).is_none())
    {
        return Err(Refusal::Claims);
    }
    Ok(())
}

/// A parameter as the Document Server's `getRequestParams` reads it from a verified token:
/// it copies the claims, then the members of `payload` over them, then those of `query`, so
/// the last of `query.name`, `payload.name` and `name` that is there wins.
fn ds_param<'v>(verified: &'v Verified, name: &str) -> Option<&'v str> {
    (verified
        .members()
        .nested("query")
        .and_then(|query| query.get(name)))
    .or_else(|| {
        verified
            .members()
            .nested("payload")
            .and_then(|p| p.get(name))
    })
    .or_else(|| verified.members().get(name))
}

/// Whether a callback's comparison leaned on the Document Server's size trim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trim {
    /// Every body member equals what the token signed.
    None,
    /// The body's `history` is `{}` where the body token signed a non-empty one: fine only
    /// when the header token shows the trim (its `payload.history` is `{}` too).
    BodyHistoryTrimmed,
    /// A header token whose `payload.history` is `{}`: the Document Server trimmed it.
    HeaderTrimmed,
}

/// A save callback: `key` and `status` claimed (flat or under `payload`), and every body
/// member other than `token` claimed with an equal value. A body token's claims are its
/// top level; a header token's are its `payload` (its top level when it has none).
///
/// The Document Server trims only the header token (at 7168 characters: `changesurl`
/// dropped, `history` set to `{}`), and posts the trimmed object with the body token signed
/// before the trim. So a header token's `history` of `{}` matches any body `history` beside
/// a body token (which checks it; alone, it matches only `{}`), and a body `history` of `{}`
/// matches the body token's only when the header token was trimmed too ([`Trim`]); the
/// caller checks that.
///
/// The claims' members come read with the token; the body's top-level members are listed
/// once the first token verified (the body was checked whole before), as raw texts sorted by
/// name: each body member is found by a binary search, and two values are equal when their
/// texts are the same bytes (as the Document Server signs the very text it sends) or else
/// when they parse to equal values.
fn fit_callback(
    verified: &Verified,
    body: &Body<'_>,
    members: &mut Option<json::Object>,
    source: Source,
) -> Result<Trim, Refusal> {
    let claims = verified.members();
    let payload = verified.members().nested("payload");
    let claimed = |name| claims.has(name) || payload.is_some_and(|p| p.has(name));
    if !claimed("key") || !claimed("status") {
        return Err(Refusal::Claims);
    }
    let Body::Object(text, _) = body else {
        return Err(Refusal::BodyMismatch);
    };
    let members = match members {
        Some(members) => members,
        None => members.insert(
            json::object(text, &[], json::Values::Checked)
                .ok()
                .flatten()
                .ok_or(Refusal::BadBody)?,
        ),
    };
    let header = matches!(source, Source::Header | Source::HeaderBesideBody);
    let (compared, header) = match (header, payload) {
        (true, Some(payload)) => (payload, true),
        _ => (claims, false),
    };
    let trimmed = |claims: json::View<'_>| claims.get("history").is_some_and(json::is_empty_object);
    let mut trim = match header && trimmed(compared) {
        true => Trim::HeaderTrimmed,
        false => Trim::None,
    };
    for (name, value) in members
        .view(text)
        .iter()
        .filter(|(name, _)| *name != "token")
    {
        let claim = compared.get(name);
        if let Some(claim) = claim.filter(|_| name == "history") {
            // the body token beside it has checked the body's history
            if trim == Trim::HeaderTrimmed && source == Source::HeaderBesideBody {
                continue;
            }
            if !header && json::is_empty_object(value) && !json::is_empty_object(claim) {
                trim = Trim::BodyHistoryTrimmed;
                continue;
            }
        }
        if !claim.is_some_and(|claim| json::same_value(value, claim)) {
            return Err(Refusal::BodyMismatch);
        }
    }
    Ok(trim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bearer_token_forms() {
        assert_eq!(bearer_token(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"BEARER abc"), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"bEaReR abc"), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"Bearer  abc"), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"Bearer\tabc"), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"Bearer abc \t "), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"Bearer a b"), Some(&b"a b"[..]));
        assert_eq!(bearer_token(b"Bearer abc,"), Some(&b"abc,"[..]));
        assert_eq!(bearer_token(b"Bearer"), None);
        assert_eq!(bearer_token(b"Bearer "), None);
        assert_eq!(bearer_token(b"Bearer  \t "), None);
        assert_eq!(bearer_token(b"Bearerabc"), None);
        assert_eq!(bearer_token(b"Basic abc"), None);
        assert_eq!(bearer_token(b"abc"), None);
        assert_eq!(bearer_token(b""), None);
        assert_eq!(bearer_token(b" Bearer abc"), None);
        assert_eq!(bearer_token(b"Bearer\xff abc"), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode(b"a%20b", false), b"a b");
        assert_eq!(percent_decode(b"a+b", false), b"a+b");
        assert_eq!(percent_decode(b"a+b", true), b"a b");
        assert_eq!(
            percent_decode(b"%e2%80%99%E2%80%99", false),
            "\u{2019}\u{2019}".as_bytes()
        );
        assert_eq!(percent_decode(b"%", false), b"%");
        assert_eq!(percent_decode(b"%4", false), b"%4");
        assert_eq!(percent_decode(b"%zz%41", false), b"%zzA");
        assert_eq!(percent_decode(b"%%41", false), b"%A");
        assert_eq!(percent_decode(b"100%", false), b"100%");
    }

    #[test]
    fn targets() {
        let t = |s: &str| Target::of(s.as_bytes());
        let want = |p: &str, q: &str| Target {
            path: p.as_bytes().to_vec(),
            query: q.as_bytes().to_vec(),
        };
        assert_eq!(
            t("https://h.example:8443/a/b?x=1#frag"),
            want("/a/b", "x=1")
        );
        assert_eq!(t("/a/b?x=1"), want("/a/b", "x=1"));
        assert_eq!(t("http://host"), want("/", ""));
        assert_eq!(t("http://host?x"), want("/", "x"));
        assert_eq!(t("http://host#f"), want("/", ""));
        assert_eq!(t("/a?"), want("/a", ""));
        assert_eq!(t("/a%20b?c%3dd%7E"), want("/a%20b", "c%3Dd~"));
        assert_eq!(t("svn+ssh://h/x"), want("/x", ""));
        // Not a scheme: kept as a path.
        assert_eq!(t("/a://b"), want("/a://b", ""));
        assert_eq!(t("a b://h/x"), want("a%20b://h/x", ""));
        assert_eq!(t(""), want("/", ""));
    }

    /// A short name for the class of a body, for the tests.
    fn class(body: &[u8]) -> Result<&'static str, Refusal> {
        classify_body(Some(body)).map(|b| match b {
            Body::None => "none",
            Body::NotJson => "not json",
            Body::Object(..) => "object",
            Body::OtherJson => "other json",
        })
    }

    #[test]
    fn body_classes() {
        assert!(matches!(classify_body(None), Ok(Body::None)));
        assert_eq!(class(b""), Ok("none"));
        assert_eq!(class(b" \r\n\t"), Ok("none"));
        assert_eq!(class(b"builder.CreateFile(\"docx\");"), Ok("not json"));
        assert_eq!(class(b"token=abc"), Ok("not json"));
        assert_eq!(class(b"filetype=docx&url=x"), Ok("not json"));
        assert_eq!(class(b"truex"), Err(Refusal::BadBody));
        assert_eq!(class(b"1 2"), Err(Refusal::BadBody));
        assert_eq!(class(b" {\"a\":1}"), Ok("object"));
        assert_eq!(class(b"[1]"), Ok("other json"));
        assert_eq!(class(b"\"x\""), Ok("other json"));
        for bad in [
            &b"{\"a\":1,\"a\":1}"[..],
            b"{\"token\":\"a\",\"token\":\"b\"}",
            b"{\"a\":{\"b\":1,\"b\":2}}",
            b"{\"a\":[{\"b\":1,\"b\":2}]}",
            b"{\"a\":\"\xff\"}",
            b"{\"a\":\"\\ud800\"}",
            b"{",
            b"{}x",
            b"true x",
        ] {
            assert_eq!(class(bad), Err(Refusal::BadBody), "{bad:?}");
        }
        let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
        assert_eq!(class(deep.as_bytes()), Err(Refusal::BadBody));
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(500), "]".repeat(500));
        assert_eq!(class(deep.as_bytes()), Err(Refusal::BadBody));
    }

    #[test]
    fn body_token_truthiness() {
        let token = |value: serde_json::Value| {
            let text = value.to_string();
            let body = classify_body(Some(text.as_bytes()))?;
            body_token(&body).map(|t| t.map(|t| t.into_owned()))
        };
        assert_eq!(token(json!({"token": "abc"})), Ok(Some(b"abc".to_vec())));
        assert_eq!(token(json!({"token": "a\"b"})), Ok(Some(b"a\"b".to_vec())));
        for falsy in [
            json!({}),
            json!({"token": null}),
            json!({"token": false}),
            json!({"token": 0}),
            json!({"token": 0.0}),
            json!({"token": -0.0}),
            json!({"token": ""}),
        ] {
            assert_eq!(token(falsy.clone()), Ok(None), "{falsy}");
        }
        for truthy in [
            json!({"token": true}),
            json!({"token": 1}),
            json!({"token": -1.5}),
            json!({"token": {}}),
            json!({"token": []}),
            json!({"token": ["a"]}),
        ] {
            assert_eq!(token(truthy.clone()), Err(Refusal::Malformed), "{truthy}");
        }
        assert_eq!(token(json!(["token"])), Ok(None));
        assert_eq!(token(json!("token")), Ok(None));
    }

    #[test]
    fn query_tokens() {
        assert_eq!(query_token(b""), Ok(None));
        assert_eq!(query_token(b"a=1&b=2"), Ok(None));
        assert_eq!(query_token(b"token=abc"), Ok(Some(b"abc".to_vec())));
        assert_eq!(
            query_token(b"a=1&token=a%2Eb+c&b"),
            Ok(Some(b"a.b c".to_vec()))
        );
        assert_eq!(query_token(b"%74oken=abc"), Ok(Some(b"abc".to_vec())));
        assert_eq!(query_token(b"token="), Ok(None));
        assert_eq!(query_token(b"token"), Ok(None));
        assert_eq!(query_token(b"tokens=abc&Token=x&token[]=y"), Ok(None));
        assert_eq!(query_token(b"token=a&token=b"), Err(Refusal::Malformed));
        assert_eq!(query_token(b"token=&token=b"), Err(Refusal::Malformed));
        assert_eq!(query_token(b"token=a&%74oken=a"), Err(Refusal::Malformed));
    }

    #[test]
    fn percent_normalization() {
        let n = |s: &str| String::from_utf8(normalize_percent(s.as_bytes())).unwrap();
        assert_eq!(n("/a%2fb"), "/a%2Fb");
        assert_eq!(n("/a%2Fb"), "/a%2Fb");
        assert_ne!(n("/a%2Fb"), n("/a/b"));
        assert_ne!(n("file=a%26b%3Dc"), n("file=a&b=c"));
        assert_eq!(n("%7euser"), "~user");
        assert_eq!(n("%41%62%2d%2E%5f"), "Ab-._");
        assert_eq!(n("r\u{e9}sum\u{e9}"), n("r%C3%A9sum%c3%a9"));
        assert_eq!(n("a b"), "a%20b");
        assert_eq!(n("a%20b"), "a%20b");
        assert_ne!(n("a+b"), n("a%20b"));
        assert_ne!(n("a+b"), n("a%2Bb"));
        assert_eq!(n("%"), "%");
        assert_eq!(n("%4"), "%4");
        assert_eq!(n("%zz"), "%zz");
        assert_eq!(n("100%"), "100%");
        assert_eq!(n("q=%27x%27"), "q=%27x%27");
        assert_ne!(n("q=%27x%27"), n("q='x'"));
    }

    #[test]
    fn argument_and_cookie_counts() {
        assert_eq!(count_args(b"", b"t"), 0);
        assert_eq!(count_args(b"t=1", b"t"), 1);
        assert_eq!(count_args(b"t=1&T=2", b"t"), 2);
        assert_eq!(count_args(b"tt=1&t", b"t"), 1);
        assert_eq!(count_args(b"a=1&t=&b=2&t=3", b"t"), 2);
        assert_eq!(count_args(b"%74=1&t=2", b"t"), 2);
        assert_eq!(
            count_args(b"access_token=a&access%5Ftoken=b", b"access_token"),
            2
        );
        assert_eq!(
            count_args(b"access_token=a&%61ccess_token=b", b"access_token"),
            2
        );
        assert_eq!(
            count_args(b"access_token=a&access.token=b", b"access_token"),
            2
        );
        assert_eq!(
            count_args(b"access_token=a&access+token=b", b"access_token"),
            2
        );
        assert_eq!(
            count_args(b"x=1;access_token=b&access_token=a", b"access_token"),
            2
        );
        assert_eq!(
            count_args(b"access_tokens=a&access_token=b", b"access_token"),
            1
        );
        assert_eq!(count_cookies(&[b"jwt=a"], b"jwt"), 1);
        assert_eq!(count_cookies(&[b"jwt=a; JWT=b"], b"jwt"), 2);
        assert_eq!(count_cookies(&[b"jwt=a", b"x=1;jwt=b"], b"jwt"), 2);
        assert_eq!(count_cookies(&[b"jwtx=a; xjwt=b"], b"jwt"), 0);
        assert_eq!(count_cookies(&[b"x=1, jwt=a; jwt=b"], b"jwt"), 2);
        assert_eq!(count_cookies(&[b"jwt=a; %6Awt=b"], b"jwt"), 2);
        assert_eq!(count_cookies(&[], b"jwt"), 0);
    }

    #[test]
    fn content_encodings() {
        assert_eq!(check_content_encoding(&[]), Ok(()));
        assert_eq!(check_content_encoding(&[b"identity"]), Ok(()));
        assert_eq!(check_content_encoding(&[b" Identity "]), Ok(()));
        assert_eq!(check_content_encoding(&[b""]), Ok(()));
        for bad in [
            &b"gzip"[..],
            b"deflate",
            b"br",
            b"identity, gzip",
            b"x-gzip",
        ] {
            assert_eq!(check_content_encoding(&[bad]), Err(Refusal::Encoding));
        }
        assert_eq!(
            check_content_encoding(&[b"identity", b"gzip"]),
            Err(Refusal::Encoding)
        );
    }
}
