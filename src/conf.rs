//! Configuration: the location configuration, the directive table, one `cmd_*` handler per
//! directive, and the merge that builds each location's [`Verifier`] once, at configuration
//! time.

use core::ffi::{c_char, c_void};
use core::ptr;
use std::rc::Rc;

use ngx::core::{NGX_CONF_ERROR, NGX_CONF_OK};
use ngx::ffi::{
    ngx_command_t, ngx_conf_full_name, ngx_conf_set_flag_slot, ngx_conf_set_sec_slot,
    ngx_conf_set_size_slot, ngx_conf_set_str_slot, ngx_conf_t, ngx_flag_t,
    ngx_http_compile_complex_value, ngx_http_compile_complex_value_t, ngx_http_complex_value_t,
    ngx_pcalloc, ngx_str_t, ngx_uint_t, time_t, NGX_CONF_1MORE, NGX_CONF_FLAG, NGX_CONF_TAKE1,
    NGX_HTTP_LOC_CONF, NGX_HTTP_LOC_CONF_OFFSET, NGX_HTTP_MAIN_CONF, NGX_HTTP_SRV_CONF,
};
use ngx::ngx_string;
use onlyoffice_jwt_core::cache::CacheKey;
use onlyoffice_jwt_core::keys::{self, KeyError};
use onlyoffice_jwt_core::{Algorithm, AlgorithmSet, Family, Key, Profile, Verifier};
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

// nginx's "not set" values, which its slot setters look for (NGX_CONF_UNSET*).
const UNSET_FLAG: ngx_flag_t = -1;
const UNSET_TIME: time_t = -1;
const UNSET_SIZE: usize = usize::MAX;

/// One `onlyoffice_jwt_require` directive.
#[derive(Clone)]
pub struct Requirement {
    /// Compiled values, allocated in the configuration pool.
    pub values: Vec<*mut ngx_http_complex_value_t>,
    /// The status when a value is empty or `0`: 401 or 403.
    pub status: u16,
}

/// The location configuration.
///
/// While parsing, the `Option` fields are `None` and the fields nginx's slot setters fill
/// hold nginx's "unset" values for "not set at this level"; the merge fills them from the
/// enclosing level or the defaults, and builds `verifier` for every level whose profile is
/// not `off`.
pub struct LocConf {
    pub profile: Option<Profile>,
    /// Where the `onlyoffice_jwt` directive was given, for messages found at merge time.
    profile_where: Option<String>,
    /// Keys given at this level (`onlyoffice_jwt_secret`, `onlyoffice_jwt_secret_file` and
    /// `onlyoffice_jwt_key_file`).
    own_keys: Vec<Key>,
    /// The secrets in force: this level's own once it has any (they replace the inherited
    /// set), else the enclosing level's after the merge. Kept up to date while parsing,
    /// because nginx never merges the `http` level itself: it is only ever `prev`.
    keys: Option<Rc<[Key]>>,
    algorithms: Option<AlgorithmSet>,
    /// `onlyoffice_jwt_issuer` and `onlyoffice_jwt_audience`.
    issuers: Option<Rc<[String]>>,
    audiences: Option<Rc<[String]>>,
    /// The token header's name: empty while not set (an empty name is refused).
    pub header: Vec<u8>,
    pub token: Option<*mut ngx_http_complex_value_t>,
    /// seconds (`ngx_conf_set_sec_slot`)
    leeway: time_t,
    /// `ngx_conf_set_flag_slot`
    require_exp: ngx_flag_t,
    /// `onlyoffice_jwt_require` given at this level.
    own_require: Vec<Requirement>,
    /// The requirements in force: kept up to date while parsing, like `keys`.
    pub require: Option<Rc<[Requirement]>>,
    /// bytes (`ngx_conf_set_size_slot`)
    pub body_limit: usize,
    /// `ngx_conf_set_str_slot`, in the configuration pool
    realm: ngx_str_t,

    /// Built by the merge when the profile is not `off`.
    pub verifier: Option<Verifier>,
    /// `WWW-Authenticate` when no token was sent.
    pub challenge: Vec<u8>,
    /// `WWW-Authenticate` for a token that is not good.
    pub challenge_invalid: Vec<u8>,
    /// Whether `header` is `Authorization` (nginx keeps a pointer to it).
    pub header_is_authorization: bool,
}

impl Default for LocConf {
    fn default() -> Self {
        LocConf {
            profile: None,
            profile_where: None,
            own_keys: Vec::new(),
            keys: None,
            algorithms: None,
            issuers: None,
            audiences: None,
            header: Vec::new(),
            token: None,
            leeway: UNSET_TIME,
            require_exp: UNSET_FLAG,
            own_require: Vec::new(),
            require: None,
            body_limit: UNSET_SIZE,
            realm: ngx_str_t::default(),
            verifier: None,
            challenge: Vec::new(),
            challenge_invalid: Vec::new(),
            header_is_authorization: false,
        }
    }
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
}

/* command table */

/// A directive of all three levels that one of nginx's slot setters handles, writing the
/// location configuration's `$field`.
macro_rules! slot {
    ($name:literal, $type:expr, $setter:ident, $field:ident) => {
        ngx_command_t {
            name: ngx_string!($name),
            type_: (NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | $type)
                as ngx_uint_t,
            set: Some($setter),
            conf: NGX_HTTP_LOC_CONF_OFFSET,
            offset: core::mem::offset_of!(LocConf, $field),
            post: ptr::null_mut(),
        }
    };
}

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
                    unsafe { with_args(cf, cmd, conf, $set) }
                }
                set
            }),
            conf: NGX_HTTP_LOC_CONF_OFFSET,
            offset: 0,
            post: ptr::null_mut(),
        }
    };
}

pub static mut NGX_HTTP_ONLYOFFICE_JWT_COMMANDS: [ngx_command_t; 15] = [
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
    slot!(
        "onlyoffice_jwt_leeway",
        NGX_CONF_TAKE1,
        ngx_conf_set_sec_slot,
        leeway
    ),
    slot!(
        "onlyoffice_jwt_require_exp",
        NGX_CONF_FLAG,
        ngx_conf_set_flag_slot,
        require_exp
    ),
    command!("onlyoffice_jwt_require", NGX_CONF_1MORE, cmd_require),
    slot!(
        "onlyoffice_jwt_body_limit",
        NGX_CONF_TAKE1,
        ngx_conf_set_size_slot,
        body_limit
    ),
    slot!(
        "onlyoffice_jwt_realm",
        NGX_CONF_TAKE1,
        ngx_conf_set_str_slot,
        realm
    ),
    ngx_command_t::empty(),
];

/* command handlers */

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
    if lcf.profile.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let value = value(args)?;
    let value = value.as_bytes();
    let profile = Profile::from_name(value).ok_or_else(|| ConfError::Profile(lossy(value)))?;
    lcf.profile = Some(profile);
    lcf.profile_where = Some(conf_where(cf));
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
    lcf.own_keys.push(Key::new(secret));
    lcf.keys = Some(Rc::from(lcf.own_keys.clone()));
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
    let mut found = 0;
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
        lcf.own_keys.push(Key::new(secret));
        found += 1;
    }
    if found == 0 {
        return Err(ConfError::NoSecretInFile(path));
    }
    lcf.keys = Some(Rc::from(lcf.own_keys.clone()));
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
    lcf.own_keys.extend(keys);
    lcf.keys = Some(Rc::from(lcf.own_keys.clone()));
    Ok(Outcome::Ok)
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
    set_values(&mut lcf.issuers, args)
}

fn cmd_audience(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    set_values(&mut lcf.audiences, args)
}

fn cmd_algorithms(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.algorithms.is_some() {
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
    lcf.algorithms = Some(set);
    Ok(Outcome::Ok)
}

fn cmd_header(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if !lcf.header.is_empty() {
        return Ok(Outcome::Duplicate);
    }
    let value = value(args)?;
    let value = value.as_bytes();
    let is_token_char = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
    if value.is_empty() || !value.iter().all(is_token_char) {
        return Err(ConfError::HeaderName(lossy(value)));
    }
    lcf.header = value.to_vec();
    Ok(Outcome::Ok)
}

fn cmd_token(
    cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.token.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let value = value(args)?;
    if !value.as_bytes().contains(&b'$') {
        return Err(ConfError::TokenNotVariable);
    }
    match compile_complex_value(cf, value) {
        Some(cv) => {
            lcf.token = Some(cv);
            Ok(Outcome::Ok)
        }
        None => Ok(Outcome::Logged),
    }
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
    lcf.own_require.push(Requirement {
        values: compiled,
        status,
    });
    lcf.require = Some(Rc::from(lcf.own_require.clone()));
    Ok(Outcome::Ok)
}

/* merge */

/// nginx's `merge_loc_conf` callback.
pub unsafe extern "C" fn ngx_merge_loc_conf(
    cf: *mut ngx_conf_t,
    prev: *mut c_void,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes the configurations created by `create_loc_conf`.
    let (cf, prev, conf) = unsafe {
        (
            &mut *cf,
            &*prev.cast::<LocConf>(),
            &mut *conf.cast::<LocConf>(),
        )
    };
    merge_loc_conf(cf, prev, conf)
}

/// Merges a level with the one that encloses it, and builds the verifier of a level whose
/// profile is on. Called by nginx for every server and location, after parsing.
fn merge_loc_conf(cf: &mut ngx_conf_t, prev: &LocConf, conf: &mut LocConf) -> *mut c_char {
    if conf.profile.is_none() {
        conf.profile = prev.profile;
        conf.profile_where.clone_from(&prev.profile_where);
    }
    merge_option(&mut conf.keys, &prev.keys);
    merge_option(&mut conf.algorithms, &prev.algorithms);
    merge_option(&mut conf.issuers, &prev.issuers);
    merge_option(&mut conf.audiences, &prev.audiences);
    merge_option(&mut conf.token, &prev.token);
    merge_option(&mut conf.require, &prev.require);
    // as nginx's ngx_conf_merge_*_value macros do
    merge_value(
        &mut conf.header,
        &prev.header,
        Vec::is_empty,
        DEFAULT_HEADER.to_vec(),
    );
    merge_value(
        &mut conf.leeway,
        &prev.leeway,
        |v| *v == UNSET_TIME,
        DEFAULT_LEEWAY,
    );
    merge_value(
        &mut conf.body_limit,
        &prev.body_limit,
        |v| *v == UNSET_SIZE,
        DEFAULT_BODY_LIMIT,
    );
    merge_value(
        &mut conf.realm,
        &prev.realm,
        |v| v.data.is_null(),
        ngx_str_t::default(),
    );

    conf.header_is_authorization = conf.header.eq_ignore_ascii_case(b"authorization");
    let realm = match conf.realm.data.is_null() {
        true => DEFAULT_REALM,
        false => conf.realm.as_bytes(),
    };
    conf.challenge = challenge(realm, false);
    conf.challenge_invalid = challenge(realm, true);

    let profile = conf.profile.unwrap_or(Profile::Off);
    if profile == Profile::Off {
        return NGX_CONF_OK;
    }
    let keys = match &conf.keys {
        Some(keys) if !keys.is_empty() => keys.clone(),
        _ => {
            let at = conf.profile_where.as_deref().unwrap_or("");
            // Not ngx_conf_log_error: the position being parsed now is the end of a block,
            // not the directive that needs the secret.
            ngx::ngx_log_error!(
                ngx::ffi::NGX_LOG_EMERG,
                cf.log,
                "no secret for \"onlyoffice_jwt {}\" in {at}: set \"onlyoffice_jwt_secret\", \
                 \"onlyoffice_jwt_secret_file\" or \"onlyoffice_jwt_key_file\" at its level \
                 or above",
                profile.name()
            );
            return NGX_CONF_ERROR;
        }
    };
    let algorithms = conf.algorithms.unwrap_or(AlgorithmSet::default_set());
    if !keys
        .iter()
        .any(|key| algorithms.iter().any(|alg| key.fits(alg)))
    {
        let at = conf.profile_where.as_deref().unwrap_or("");
        let allowed: Vec<&str> = algorithms.iter().map(Algorithm::name).collect();
        let kinds: Vec<String> = keys.iter().map(|key| family_name(key.family())).collect();
        ngx::ngx_log_error!(
            ngx::ffi::NGX_LOG_EMERG,
            cf.log,
            "no key of \"onlyoffice_jwt {}\" in {at} verifies an allowed algorithm ({}): \
             the keys are {}; set \"onlyoffice_jwt_algorithms\"",
            profile.name(),
            allowed.join(" "),
            kinds.join(", ")
        );
        return NGX_CONF_ERROR;
    }
    // only public-key tokens are cached: a location with secrets only needs no place
    let public = keys.iter().any(|key| key.family() != Family::Hmac);
    conf.verifier = Some(Verifier {
        keys,
        algorithms,
        issuers: conf.issuers.clone().unwrap_or_default(),
        audiences: conf.audiences.clone().unwrap_or_default(),
        cache: public.then(CacheKey::new),
        leeway: conf.leeway,
        require_exp: match conf.require_exp {
            UNSET_FLAG => profile.requires_exp_by_default(),
            flag => flag != 0,
        },
    });
    NGX_CONF_OK
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

fn merge_option<T: Clone>(conf: &mut Option<T>, prev: &Option<T>) {
    if conf.is_none() {
        conf.clone_from(prev);
    }
}

/// An unset value takes the enclosing level's, or the default when that is unset too.
fn merge_value<T: Clone>(conf: &mut T, prev: &T, unset: impl Fn(&T) -> bool, default: T) {
    if unset(conf) {
        *conf = if unset(prev) { default } else { prev.clone() };
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
