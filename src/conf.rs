//! Configuration: the location configuration, the directive table, one `cmd_*` handler per
//! directive, and the merge that builds each location's [`Verifier`] once, at configuration
//! time.

use core::ffi::{c_char, c_void};
use core::ptr;
use std::rc::Rc;

use ngx::core::{NGX_CONF_ERROR, NGX_CONF_OK};
use ngx::ffi::{
    ngx_command_t, ngx_conf_full_name, ngx_conf_t, ngx_http_compile_complex_value,
    ngx_http_compile_complex_value_t, ngx_http_complex_value_t, ngx_parse_size, ngx_parse_time,
    ngx_pcalloc, ngx_str_t, ngx_uint_t, time_t, NGX_CONF_1MORE, NGX_CONF_FLAG, NGX_CONF_NOARGS,
    NGX_CONF_TAKE1, NGX_HTTP_LOC_CONF, NGX_HTTP_LOC_CONF_OFFSET, NGX_HTTP_MAIN_CONF,
    NGX_HTTP_SRV_CONF, NGX_LOG_ERR, NGX_LOG_INFO, NGX_LOG_NOTICE, NGX_LOG_WARN,
};
use ngx::ngx_string;
use onlyoffice_jwt_core::keys::{self, KeyError};
use onlyoffice_jwt_core::{
    Algorithm, AlgorithmSet, CachedVerifier, Family, Key, Profile, Verifier,
};
use thiserror::Error;

use crate::log::{conf_warn, emerg};

/// A secret shorter than this is accepted with a warning (RFC 7518 asks for at least the
/// hash size).
const SHORT_SECRET: usize = 32;

const DEFAULT_LEEWAY: time_t = 60;
const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
const DEFAULT_HEADER: &[u8] = b"Authorization";
const DEFAULT_REALM: &[u8] = b"onlyoffice";

const NGX_CONF_DUPLICATE: *mut c_char = c"is duplicate".as_ptr().cast_mut();
const NGX_CONF_INVALID: *mut c_char = c"invalid value".as_ptr().cast_mut();

/// One `onlyoffice_jwt_require` directive.
#[derive(Clone)]
pub struct Requirement {
    /// Compiled values, allocated in the configuration pool.
    pub values: Vec<*mut ngx_http_complex_value_t>,
    /// The status when a value is empty or `0`: 401 or 403.
    pub status: u16,
}

/// `onlyoffice_jwt_token`'s value.
#[derive(Clone)]
pub struct TokenSource {
    /// The compiled value, allocated in the configuration pool.
    pub value: *mut ngx_http_complex_value_t,
    /// The arguments and cookies the value reads (`$arg_NAME`, `$cookie_NAME`), each of
    /// which must not occur twice (nginx takes the first, many applications the last).
    pub singles: Vec<Single>,
}

/// An argument or a cookie that `onlyoffice_jwt_token`'s value reads (its name in lower case,
/// as nginx keeps variable names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Single {
    Arg(Vec<u8>),
    Cookie(Vec<u8>),
}

/// What the directives of one level say: `None` for a directive not given at this level.
/// Directives that may be repeated (the keys, `onlyoffice_jwt_require`) collect every
/// occurrence of the level. The merge fills each `None` from the enclosing level, so after
/// it a level holds what is in force there.
#[derive(Clone, Default)]
struct Directives {
    /// The profile and where it was given ("file:line"), for messages found at merge time.
    profile: Option<(Profile, String)>,
    /// `onlyoffice_jwt_secret`, `onlyoffice_jwt_secret_file` and `onlyoffice_jwt_key_file`.
    keys: Option<Vec<Key>>,
    algorithms: Option<AlgorithmSet>,
    issuers: Option<Rc<[String]>>,
    audiences: Option<Rc<[String]>>,
    header: Option<Vec<u8>>,
    token: Option<TokenSource>,
    leeway: Option<time_t>,
    require_exp: Option<bool>,
    require: Option<Vec<Requirement>>,
    body_limit: Option<usize>,
    realm: Option<Vec<u8>>,
    dry_run: Option<bool>,
    log_level: Option<ngx_uint_t>,
}

/// The location configuration: the directives of its level and, once merged, what the
/// handler uses, built from them with the defaults.
#[derive(Default)]
pub struct LocConf {
    set: Directives,

    /// The profile in force (`off` when none).
    pub profile: Profile,
    /// Built by the merge when the profile is not `off`.
    pub verifier: Option<CachedVerifier>,
    /// The token header's name.
    pub header: Vec<u8>,
    /// Whether `header` is `Authorization` (nginx keeps a pointer to it).
    pub header_is_authorization: bool,
    pub token: Option<TokenSource>,
    /// The requirements in force (empty: none).
    pub require: Vec<Requirement>,
    /// bytes
    pub body_limit: usize,
    /// `WWW-Authenticate` when no token was sent.
    pub challenge: Vec<u8>,
    /// `WWW-Authenticate` for a token that is not good.
    pub challenge_invalid: Vec<u8>,
    /// Refusals are logged and shown, the request goes on.
    pub dry_run: bool,
    /// The level of the refusal lines.
    pub log_level: ngx_uint_t,
}

/// What can be wrong with a directive's arguments.
#[derive(Debug, Error)]
enum ConfError {
    #[error("invalid profile \"{0}\", it must be \"off\", \"bearer\", \"documentserver\", \"command\", \"convert\", \"builder\", \"callback\" or \"download\"")]
    Profile(String),
    #[error("empty secret")]
    EmptySecret,
    #[error("cannot read secret file \"{0}\": {1}")]
    SecretFile(String, std::io::Error),
    #[error("no secret in \"{0}\"")]
    NoSecretInFile(String),
    #[error("algorithm \"none\" is not allowed")]
    AlgorithmNone,
    #[error("unknown algorithm \"{0}\", it must be one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 and EdDSA")]
    Algorithm(String),
    #[error("cannot read key file \"{0}\": {1}")]
    KeyFile(String, std::io::Error),
    #[error("key file \"{0}\": {1}")]
    Key(String, KeyError),
    #[error("empty value")]
    EmptyValue,
    #[error("invalid header name \"{0}\"")]
    HeaderName(String),
    #[error("invalid value \"{0}\", it must be \"error=401\" or \"error=403\"")]
    RequireStatus(String),
    #[error("the token value must contain a variable")]
    TokenNotVariable,
    #[error("missing argument")]
    MissingArgument,
    #[error("invalid value \"{0}\", it must be \"on\" or \"off\"")]
    Flag(String),
    #[error("invalid value \"{0}\", it must be \"info\", \"notice\", \"warn\" or \"error\"")]
    LogLevel(String),
}

/* command table */

/// A directive of all three levels whose handler is `$set`, wrapped for nginx by `with_args`.
macro_rules! command {
    ($name:literal, $type:expr, $set:ident) => {
        ngx_command_t {
            name: ngx_string!($name),
            type_: (NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | $type)
                as ngx_uint_t,
            set: Some({
                extern "C" fn set(
                    cf: *mut ngx_conf_t,
                    cmd: *mut ngx_command_t,
                    conf: *mut c_void,
                ) -> *mut c_char {
                    // SAFETY: nginx calls directive handlers with these pointers.
                    crate::guard(NGX_CONF_ERROR, || unsafe { with_args(cf, cmd, conf, $set) })
                }
                set
            }),
            conf: NGX_HTTP_LOC_CONF_OFFSET,
            offset: 0,
            post: ptr::null_mut(),
        }
    };
}

pub static mut NGX_HTTP_ONLYOFFICE_JWT_COMMANDS: [ngx_command_t; 18] = [
    command!("onlyoffice_jwt", NGX_CONF_TAKE1, cmd_onlyoffice_jwt),
    command!("onlyoffice_jwt_secret", NGX_CONF_TAKE1, cmd_secret),
    command!(
        "onlyoffice_jwt_secret_file",
        NGX_CONF_TAKE1,
        cmd_secret_file
    ),
    command!("onlyoffice_jwt_key_file", NGX_CONF_TAKE1, cmd_key_file),
    command!("onlyoffice_jwt_algorithms", NGX_CONF_1MORE, cmd_algorithms),
    command!("onlyoffice_jwt_issuer", NGX_CONF_1MORE, cmd_issuer),
    command!("onlyoffice_jwt_audience", NGX_CONF_1MORE, cmd_audience),
    command!("onlyoffice_jwt_header", NGX_CONF_TAKE1, cmd_header),
    command!("onlyoffice_jwt_token", NGX_CONF_TAKE1, cmd_token),
    command!("onlyoffice_jwt_leeway", NGX_CONF_TAKE1, cmd_leeway),
    command!("onlyoffice_jwt_require_exp", NGX_CONF_FLAG, cmd_require_exp),
    command!("onlyoffice_jwt_require", NGX_CONF_1MORE, cmd_require),
    command!("onlyoffice_jwt_body_limit", NGX_CONF_TAKE1, cmd_body_limit),
    command!("onlyoffice_jwt_realm", NGX_CONF_TAKE1, cmd_realm),
    command!("onlyoffice_jwt_dry_run", NGX_CONF_FLAG, cmd_dry_run),
    command!("onlyoffice_jwt_log_level", NGX_CONF_TAKE1, cmd_log_level),
    ngx_command_t {
        name: ngx_string!("onlyoffice_jwt_metrics"),
        type_: (NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS) as ngx_uint_t,
        set: Some(cmd_metrics),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t::empty(),
];

/* command handlers */

/// `onlyoffice_jwt_metrics;` (location only): the location shows the counters, which the
/// first such directive turns on.
extern "C" fn cmd_metrics(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    _conf: *mut c_void,
) -> *mut c_char {
    crate::guard(NGX_CONF_ERROR, || {
        // SAFETY: nginx calls directive handlers with the configuration being read.
        let cf = unsafe { &mut *cf };
        match crate::metrics::enable(cf) {
            Some(()) => NGX_CONF_OK,
            None => NGX_CONF_ERROR,
        }
    })
}

/// Runs a directive handler with the arguments and the location configuration, and turns its
/// outcome into what nginx expects: `NGX_CONF_OK`, "is duplicate", or an `[emerg]` naming the
/// directive (nginx adds the file and line).
///
/// # Safety
///
/// `cf`, `cmd` and `conf` are the pointers nginx passes to a directive handler of this
/// module's location configuration.
unsafe fn with_args(
    cf: *mut ngx_conf_t,
    cmd: *mut ngx_command_t,
    conf: *mut c_void,
    f: fn(&mut ngx_conf_t, &mut LocConf, &[ngx_str_t]) -> Result<Outcome, ConfError>,
) -> *mut c_char {
    // SAFETY: nginx passes a valid `cf` whose `args` holds the directive name and its
    // arguments (their count checked against the directive's `type_`), a valid `cmd`, and the
    // `LocConf` created by `create_loc_conf` as `conf`.
    let (cf_ref, name, lcf, args) = unsafe {
        let cf_ref = &mut *cf;
        let name = (*cmd).name.to_string_lossy_owned();
        let args: Vec<ngx_str_t> = (*cf_ref.args).as_slice::<ngx_str_t>().to_vec();
        (cf_ref, name, &mut *conf.cast::<LocConf>(), args)
    };
    match f(cf_ref, lcf, &args) {
        Ok(Outcome::Ok) => NGX_CONF_OK,
        Ok(Outcome::Duplicate) => NGX_CONF_DUPLICATE,
        Ok(Outcome::Invalid) => NGX_CONF_INVALID,
        Ok(Outcome::Logged) => NGX_CONF_ERROR,
        Err(err) => {
            emerg!(cf, "{err} in \"{name}\" directive");
            NGX_CONF_ERROR
        }
    }
}

/// What a directive handler did.
enum Outcome {
    Ok,
    Duplicate,
    /// An argument nginx's parsers refused: "invalid value", as nginx's slot setters say.
    Invalid,
    /// Failed, and the handler (or nginx) already logged why.
    Logged,
}

trait NgxStrExt {
    fn to_string_lossy_owned(&self) -> String;
}

impl NgxStrExt for ngx_str_t {
    fn to_string_lossy_owned(&self) -> String {
        String::from_utf8_lossy(self.as_bytes()).into_owned()
    }
}

/// An `on` or `off` argument (as `ngx_conf_set_flag_slot` reads it).
fn flag(args: &[ngx_str_t]) -> Result<bool, ConfError> {
    match value(args)?.as_bytes() {
        v if v.eq_ignore_ascii_case(b"on") => Ok(true),
        v if v.eq_ignore_ascii_case(b"off") => Ok(false),
        v => Err(ConfError::Flag(lossy(v))),
    }
}

/// The directive's first argument. nginx checked the argument count against the
/// directive's type, so the error is for a table entry that disagrees with its handler.
fn value(args: &[ngx_str_t]) -> Result<ngx_str_t, ConfError> {
    args.get(1).copied().ok_or(ConfError::MissingArgument)
}

fn cmd_onlyoffice_jwt(
    cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.set.profile.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let value = value(args)?;
    let value = value.as_bytes();
    let profile = Profile::from_name(value).ok_or_else(|| ConfError::Profile(lossy(value)))?;
    lcf.set.profile = Some((profile, conf_where(cf)));
    Ok(Outcome::Ok)
}

fn cmd_secret(
    cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    let secret = value(args)?;
    let secret = secret.as_bytes();
    if secret.is_empty() {
        return Err(ConfError::EmptySecret);
    }
    if secret.len() < SHORT_SECRET {
        conf_warn!(
            cf,
            "\"onlyoffice_jwt_secret\" is shorter than {SHORT_SECRET} bytes, \
             which is weak for HMAC"
        );
    }
    add_keys(lcf, [Key::new(secret)]);
    Ok(Outcome::Ok)
}

fn cmd_secret_file(
    cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    let mut name = value(args)?;
    // SAFETY: `cf.cycle` is the cycle being configured; `name` is a valid string, and
    // ngx_conf_full_name replaces it with a pool copy of the full path.
    if unsafe { ngx_conf_full_name(cf.cycle, &mut name, 1) } != 0 {
        return Ok(Outcome::Logged);
    }
    let path = name.to_string_lossy_owned();
    let text = std::fs::read(&path).map_err(|e| ConfError::SecretFile(path.clone(), e))?;
    let mut secrets = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let secret = line.trim_ascii();
        if secret.is_empty() || secret.starts_with(b"#") {
            continue;
        }
        if secret.len() < SHORT_SECRET {
            conf_warn!(
                cf,
                "a secret in \"{path}\" is shorter than {SHORT_SECRET} bytes, \
                 which is weak for HMAC"
            );
        }
        secrets.push(Key::new(secret));
    }
    if secrets.is_empty() {
        return Err(ConfError::NoSecretInFile(path));
    }
    add_keys(lcf, secrets);
    Ok(Outcome::Ok)
}

fn cmd_key_file(
    cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    let mut name = value(args)?;
    // SAFETY: as in cmd_secret_file.
    if unsafe { ngx_conf_full_name(cf.cycle, &mut name, 1) } != 0 {
        return Ok(Outcome::Logged);
    }
    let path = name.to_string_lossy_owned();
    let text = std::fs::read(&path).map_err(|e| ConfError::KeyFile(path.clone(), e))?;
    let keys = keys::load(&text).map_err(|e| ConfError::Key(path, e))?;
    add_keys(lcf, keys);
    Ok(Outcome::Ok)
}

/// Adds keys to the level's set: the three key directives make one set, which replaces the
/// inherited one.
fn add_keys(lcf: &mut LocConf, keys: impl IntoIterator<Item = Key>) {
    lcf.set.keys.get_or_insert_with(Vec::new).extend(keys);
}

/// Sets a directive that takes one or more non-empty strings, once per level.
fn set_values(slot: &mut Option<Rc<[String]>>, args: &[ngx_str_t]) -> Result<Outcome, ConfError> {
    if slot.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let values: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy_owned())
        .collect();
    if values.iter().any(String::is_empty) {
        return Err(ConfError::EmptyValue);
    }
    *slot = Some(Rc::from(values));
    Ok(Outcome::Ok)
}

fn cmd_issuer(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    set_values(&mut lcf.set.issuers, args)
}

fn cmd_audience(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    set_values(&mut lcf.set.audiences, args)
}

fn cmd_algorithms(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.set.algorithms.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let mut set = AlgorithmSet::empty();
    for value in args.iter().skip(1).map(|a| a.as_bytes()) {
        if value.eq_ignore_ascii_case(b"none") {
            return Err(ConfError::AlgorithmNone);
        }
        let alg = Algorithm::from_name(value).ok_or_else(|| ConfError::Algorithm(lossy(value)))?;
        set.insert(alg);
    }
    lcf.set.algorithms = Some(set);
    Ok(Outcome::Ok)
}

fn cmd_header(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.set.header.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let value = value(args)?;
    let value = value.as_bytes();
    let is_token_char = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
    if value.is_empty() || !value.iter().all(is_token_char) {
        return Err(ConfError::HeaderName(lossy(value)));
    }
    lcf.set.header = Some(value.to_vec());
    Ok(Outcome::Ok)
}

fn cmd_token(
    cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.set.token.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let value = value(args)?;
    if !value.as_bytes().contains(&b'$') {
        return Err(ConfError::TokenNotVariable);
    }
    match compile_complex_value(cf, value) {
        Some(cv) => {
            lcf.set.token = Some(TokenSource {
                value: cv,
                singles: singles(value.as_bytes()),
            });
            Ok(Outcome::Ok)
        }
        None => Ok(Outcome::Logged),
    }
}

/// The arguments and cookies a value reads through `$arg_NAME` and `$cookie_NAME` (or the
/// same in braces, in any case: nginx lowercases variable names).
fn singles(value: &[u8]) -> Vec<Single> {
    let is_name = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let mut found = Vec::new();
    let mut rest = value;
    while let Some(dollar) = rest.iter().position(|b| *b == b'$') {
        rest = rest.get(dollar + 1..).unwrap_or_default();
        let braced = rest.first() == Some(&b'{');
        let start = usize::from(braced);
        let len = rest
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| is_name(b))
            .count();
        let name = rest
            .get(start..start + len)
            .unwrap_or_default()
            .to_ascii_lowercase();
        rest = rest.get(start + len..).unwrap_or_default();
        if let Some(arg) = name.strip_prefix(b"arg_").filter(|n| !n.is_empty()) {
            found.push(Single::Arg(arg.to_vec()));
        } else if let Some(cookie) = name.strip_prefix(b"cookie_").filter(|n| !n.is_empty()) {
            found.push(Single::Cookie(cookie.to_vec()));
        }
    }
    found
}

fn cmd_leeway(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.set.leeway.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let mut value = value(args)?;
    // SAFETY: `value` is a valid string; ngx_parse_time only reads it.
    let seconds = unsafe { ngx_parse_time(&mut value, 1) };
    if seconds < 0 {
        return Ok(Outcome::Invalid);
    }
    lcf.set.leeway = Some(seconds as time_t);
    Ok(Outcome::Ok)
}

fn cmd_require_exp(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.set.require_exp.is_some() {
        return Ok(Outcome::Duplicate);
    }
    lcf.set.require_exp = Some(flag(args)?);
    Ok(Outcome::Ok)
}

fn cmd_dry_run(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.set.dry_run.is_some() {
        return Ok(Outcome::Duplicate);
    }
    lcf.set.dry_run = Some(flag(args)?);
    Ok(Outcome::Ok)
}

/// The levels of `limit_req_log_level`.
fn cmd_log_level(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.set.log_level.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let level = match value(args)?.as_bytes() {
        b"info" => NGX_LOG_INFO,
        b"notice" => NGX_LOG_NOTICE,
        b"warn" => NGX_LOG_WARN,
        b"error" => NGX_LOG_ERR,
        v => return Err(ConfError::LogLevel(lossy(v))),
    };
    lcf.set.log_level = Some(level as ngx_uint_t);
    Ok(Outcome::Ok)
}

fn cmd_body_limit(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.set.body_limit.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let mut value = value(args)?;
    // SAFETY: `value` is a valid string; ngx_parse_size only reads it.
    let size = unsafe { ngx_parse_size(&mut value) };
    let Ok(size) = usize::try_from(size) else {
        return Ok(Outcome::Invalid);
    };
    lcf.set.body_limit = Some(size);
    Ok(Outcome::Ok)
}

fn cmd_realm(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.set.realm.is_some() {
        return Ok(Outcome::Duplicate);
    }
    lcf.set.realm = Some(value(args)?.as_bytes().to_vec());
    Ok(Outcome::Ok)
}

fn cmd_require(
    cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    let mut values = args.get(1..).ok_or(ConfError::MissingArgument)?;
    let mut status = 403;
    if let Some((last, rest)) = values.split_last() {
        if let Some(code) = last.as_bytes().strip_prefix(b"error=") {
            status = match code {
                b"401" => 401,
                b"403" => 403,
                _ => return Err(ConfError::RequireStatus(lossy(last.as_bytes()))),
            };
            values = rest;
        }
    }
    if values.is_empty() {
        return Err(ConfError::RequireStatus(String::new()));
    }
    let mut compiled = Vec::with_capacity(values.len());
    for value in values {
        match compile_complex_value(cf, *value) {
            Some(cv) => compiled.push(cv),
            None => return Ok(Outcome::Logged),
        }
    }
    // A level that sets the directive replaces what it inherited.
    lcf.set
        .require
        .get_or_insert_with(Vec::new)
        .push(Requirement {
            values: compiled,
            status,
        });
    Ok(Outcome::Ok)
}

/* merge */

/// nginx's `merge_loc_conf` callback.
pub unsafe extern "C" fn ngx_merge_loc_conf(
    cf: *mut ngx_conf_t,
    prev: *mut c_void,
    conf: *mut c_void,
) -> *mut c_char {
    crate::guard(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes the configurations created by `create_loc_conf`.
        let (cf, prev, conf) = unsafe {
            (
                &mut *cf,
                &*prev.cast::<LocConf>(),
                &mut *conf.cast::<LocConf>(),
            )
        };
        conf.set.inherit(&prev.set);
        match conf.resolve() {
            Ok(()) => NGX_CONF_OK,
            Err(err) => {
                // Not ngx_conf_log_error: the position being parsed now is the end of a
                // block, not the directive the message is about; the message names that one.
                ngx::ngx_log_error!(ngx::ffi::NGX_LOG_EMERG, cf.log, "{err}");
                NGX_CONF_ERROR
            }
        }
    })
}

/// What the merge finds wrong with a level whose profile is on.
#[derive(Debug, Error)]
enum MergeError {
    #[error(
        "no secret for \"onlyoffice_jwt {profile}\" in {at}: set \"onlyoffice_jwt_secret\", \
         \"onlyoffice_jwt_secret_file\" or \"onlyoffice_jwt_key_file\" at its level or above"
    )]
    NoKey { profile: &'static str, at: String },
    #[error(
        "no key of \"onlyoffice_jwt {profile}\" in {at} verifies an allowed algorithm \
         ({allowed}): the keys are {kinds}; set \"onlyoffice_jwt_algorithms\""
    )]
    NoFit {
        profile: &'static str,
        at: String,
        allowed: String,
        kinds: String,
    },
}

impl Directives {
    /// Fills every directive this level does not set with the enclosing level's. Every field
    /// is named here (the pattern does not compile when one is added without it).
    fn inherit(&mut self, prev: &Directives) {
        let Directives {
            profile,
            keys,
            algorithms,
            issuers,
            audiences,
            header,
            token,
            leeway,
            require_exp,
            require,
            body_limit,
            realm,
            dry_run,
            log_level,
        } = prev;
        inherit(&mut self.profile, profile);
        inherit(&mut self.keys, keys);
        inherit(&mut self.algorithms, algorithms);
        inherit(&mut self.issuers, issuers);
        inherit(&mut self.audiences, audiences);
        inherit(&mut self.header, header);
        inherit(&mut self.token, token);
        inherit(&mut self.leeway, leeway);
        inherit(&mut self.require_exp, require_exp);
        inherit(&mut self.require, require);
        inherit(&mut self.body_limit, body_limit);
        inherit(&mut self.realm, realm);
        inherit(&mut self.dry_run, dry_run);
        inherit(&mut self.log_level, log_level);
    }
}

/// A directive not given at a level takes the enclosing level's.
fn inherit<T: Clone>(conf: &mut Option<T>, prev: &Option<T>) {
    if conf.is_none() {
        conf.clone_from(prev);
    }
}

impl LocConf {
    /// Builds what the handler uses from the merged directives and the defaults, and the
    /// verifier of a level whose profile is on.
    fn resolve(&mut self) -> Result<(), MergeError> {
        let set = &self.set;
        let header = set.header.as_deref().unwrap_or(DEFAULT_HEADER);
        let realm = set.realm.as_deref().unwrap_or(DEFAULT_REALM);
        self.header = header.to_vec();
        self.header_is_authorization = header.eq_ignore_ascii_case(b"authorization");
        self.challenge = challenge(realm, false);
        self.challenge_invalid = challenge(realm, true);
        self.token.clone_from(&set.token);
        self.require = set.require.clone().unwrap_or_default();
        self.body_limit = set.body_limit.unwrap_or(DEFAULT_BODY_LIMIT);
        self.dry_run = set.dry_run.unwrap_or(false);
        self.log_level = set.log_level.unwrap_or(NGX_LOG_INFO as ngx_uint_t);

        let Some((profile, at)) = &set.profile else {
            return Ok(());
        };
        let profile = *profile;
        self.profile = profile;
        if profile == Profile::Off {
            return Ok(());
        }
        let keys: Rc<[Key]> = match &set.keys {
            Some(keys) if !keys.is_empty() => Rc::from(keys.as_slice()),
            _ => {
                return Err(MergeError::NoKey {
                    profile: profile.name(),
                    at: at.clone(),
                })
            }
        };
        let algorithms = set.algorithms.unwrap_or(AlgorithmSet::default_set());
        if !keys
            .iter()
            .any(|key| algorithms.iter().any(|alg| key.fits(alg)))
        {
            let allowed: Vec<&str> = algorithms.iter().map(Algorithm::name).collect();
            let kinds: Vec<String> = keys.iter().map(|key| family_name(key.family())).collect();
            return Err(MergeError::NoFit {
                profile: profile.name(),
                at: at.clone(),
                allowed: allowed.join(" "),
                kinds: kinds.join(", "),
            });
        }
        // with public keys, a cache of their verdicts (per worker: see core's `cache`)
        self.verifier = Some(CachedVerifier::from(Verifier {
            keys,
            algorithms,
            issuers: set.issuers.clone().unwrap_or_default(),
            audiences: set.audiences.clone().unwrap_or_default(),
            leeway: set.leeway.unwrap_or(DEFAULT_LEEWAY),
            require_exp: set.require_exp.unwrap_or(profile.requires_exp_by_default()),
            flat: !profile.reads_nested_claims(),
        }));
        Ok(())
    }
}

/// A kind of key as messages name it.
fn family_name(family: Family) -> String {
    match family {
        Family::Hmac => "HMAC secrets".to_owned(),
        Family::Rsa => "RSA keys".to_owned(),
        Family::Ec(curve) => format!("EC keys ({curve:?})"),
        Family::Ed25519 => "Ed25519 keys".to_owned(),
    }
}

/* utility functions */

/// `Bearer realm="..."`, with `"` and `\` escaped, and `error="invalid_token"` when asked.
fn challenge(realm: &[u8], invalid: bool) -> Vec<u8> {
    let mut out = b"Bearer realm=\"".to_vec();
    for &b in realm {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
    if invalid {
        out.extend_from_slice(b", error=\"invalid_token\"");
    }
    out
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// "file:line" of the directive being parsed.
fn conf_where(cf: &ngx_conf_t) -> String {
    // SAFETY: while a directive is parsed, `conf_file` is the file being read.
    match unsafe { cf.conf_file.as_ref() } {
        Some(file) => format!("{}:{}", file.file.name.to_string_lossy_owned(), file.line),
        None => String::from("(command line)"),
    }
}

/// Compiles a value that may hold variables into a complex value in the configuration pool.
/// `None` when nginx refused it (it has logged why).
fn compile_complex_value(
    cf: &mut ngx_conf_t,
    mut value: ngx_str_t,
) -> Option<*mut ngx_http_complex_value_t> {
    // SAFETY: `cf.pool` is the configuration pool; the allocation is zeroed.
    let cv: *mut ngx_http_complex_value_t =
        unsafe { ngx_pcalloc(cf.pool, core::mem::size_of::<ngx_http_complex_value_t>()) }.cast();
    if cv.is_null() {
        return None;
    }
    // SAFETY: an all-zero `ngx_http_compile_complex_value_t` is its documented initial state.
    let mut ccv: ngx_http_compile_complex_value_t = unsafe { core::mem::zeroed() };
    ccv.cf = cf;
    ccv.value = &mut value;
    ccv.complex_value = cv;
    // SAFETY: `ccv` is initialised as nginx's own modules do before this call.
    if unsafe { ngx_http_compile_complex_value(&mut ccv) } != 0 {
        return None;
    }
    Some(cv)
}
