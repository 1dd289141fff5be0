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
    ngx_pcalloc, ngx_str_t, ngx_uint_t, NGX_CONF_1MORE, NGX_CONF_FLAG, NGX_CONF_TAKE1,
    NGX_HTTP_LOC_CONF, NGX_HTTP_LOC_CONF_OFFSET, NGX_HTTP_MAIN_CONF, NGX_HTTP_SRV_CONF,
};
use ngx::ngx_string;
use onlyoffice_jwt_core::{Algorithm, AlgorithmSet, Key, Profile, Verifier};
use thiserror::Error;

use crate::log::{conf_warn, emerg};

/// A secret shorter than this is accepted with a warning (RFC 7518 asks for at least the
/// hash size).
const SHORT_SECRET: usize = 32;

const DEFAULT_LEEWAY: i64 = 60;
const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
const DEFAULT_HEADER: &[u8] = b"Authorization";
const DEFAULT_REALM: &[u8] = b"onlyoffice";

const NGX_CONF_DUPLICATE: *mut c_char = c"is duplicate".as_ptr().cast_mut();

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
/// While parsing, the `Option` fields are `None` for "not set at this level"; the merge fills
/// them from the enclosing level or the defaults, and builds `verifier` for every level whose
/// profile is not `off`.
#[derive(Default)]
pub struct LocConf {
    pub profile: Option<Profile>,
    /// Where the `onlyoffice_jwt` directive was given, for messages found at merge time.
    profile_where: Option<String>,
    /// Secrets given at this level (`onlyoffice_jwt_secret` and `onlyoffice_jwt_secret_file`).
    own_keys: Vec<Key>,
    /// The secrets in force: this level's own once it has any (they replace the inherited
    /// set), else the enclosing level's after the merge. Kept up to date while parsing,
    /// because nginx never merges the `http` level itself: it is only ever `prev`.
    keys: Option<Rc<[Key]>>,
    algorithms: Option<AlgorithmSet>,
    pub header: Option<Vec<u8>>,
    pub token: Option<*mut ngx_http_complex_value_t>,
    leeway: Option<i64>,
    require_exp: Option<bool>,
    /// `onlyoffice_jwt_require` given at this level.
    own_require: Vec<Requirement>,
    /// The requirements in force: kept up to date while parsing, like `keys`.
    pub require: Option<Rc<[Requirement]>>,
    pub body_limit: Option<usize>,
    realm: Option<Vec<u8>>,

    /// Built by the merge when the profile is not `off`.
    pub verifier: Option<Verifier>,
    /// `WWW-Authenticate` when no token was sent.
    pub challenge: Vec<u8>,
    /// `WWW-Authenticate` for a token that is not good.
    pub challenge_invalid: Vec<u8>,
    /// Whether `header` is `Authorization` (nginx keeps a pointer to it).
    pub header_is_authorization: bool,
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
    #[error("unknown algorithm \"{0}\", it must be \"HS256\", \"HS384\" or \"HS512\"")]
    Algorithm(String),
    #[error("invalid header name \"{0}\"")]
    HeaderName(String),
    #[error("invalid time \"{0}\"")]
    Time(String),
    #[error("invalid size \"{0}\"")]
    Size(String),
    #[error("invalid value \"{0}\", it must be \"on\" or \"off\"")]
    Flag(String),
    #[error("invalid value \"{0}\", it must be \"error=401\" or \"error=403\"")]
    RequireStatus(String),
    #[error("the token value must contain a variable")]
    TokenNotVariable,
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

pub static mut NGX_HTTP_ONLYOFFICE_JWT_COMMANDS: [ngx_command_t; 12] = [
    command!("onlyoffice_jwt", NGX_CONF_TAKE1, cmd_onlyoffice_jwt),
    command!("onlyoffice_jwt_secret", NGX_CONF_TAKE1, cmd_secret),
    command!(
        "onlyoffice_jwt_secret_file",
        NGX_CONF_TAKE1,
        cmd_secret_file
    ),
    command!("onlyoffice_jwt_algorithms", NGX_CONF_1MORE, cmd_algorithms),
    command!("onlyoffice_jwt_header", NGX_CONF_TAKE1, cmd_header),
    command!("onlyoffice_jwt_token", NGX_CONF_TAKE1, cmd_token),
    command!("onlyoffice_jwt_leeway", NGX_CONF_TAKE1, cmd_leeway),
    command!("onlyoffice_jwt_require_exp", NGX_CONF_FLAG, cmd_require_exp),
    command!("onlyoffice_jwt_require", NGX_CONF_1MORE, cmd_require),
    command!("onlyoffice_jwt_body_limit", NGX_CONF_TAKE1, cmd_body_limit),
    command!("onlyoffice_jwt_realm", NGX_CONF_TAKE1, cmd_realm),
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

fn arg(args: &[ngx_str_t], i: usize) -> &[u8] {
    // nginx checked the argument count against the directive's type.
    args.get(i).map_or(&[], |a| a.as_bytes())
}

fn cmd_onlyoffice_jwt(
    cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.profile.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let value = arg(args, 1);
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
    let secret = arg(args, 1);
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
    let mut name = args.get(1).copied().unwrap_or_default();
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
    if lcf.header.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let value = arg(args, 1);
    let is_token_char = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
    if value.is_empty() || !value.iter().all(is_token_char) {
        return Err(ConfError::HeaderName(lossy(value)));
    }
    lcf.header = Some(value.to_vec());
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
    let value = args.get(1).copied().unwrap_or_default();
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

fn cmd_leeway(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.leeway.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let mut value = args.get(1).copied().unwrap_or_default();
    // SAFETY: `value` is a valid nginx string; `1` asks for seconds.
    let secs = unsafe { ngx_parse_time(&mut value, 1) };
    if secs < 0 {
        return Err(ConfError::Time(value.to_string_lossy_owned()));
    }
    lcf.leeway = Some(secs as i64);
    Ok(Outcome::Ok)
}

fn cmd_require_exp(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.require_exp.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let value = arg(args, 1);
    let on = if value.eq_ignore_ascii_case(b"on") {
        true
    } else if value.eq_ignore_ascii_case(b"off") {
        false
    } else {
        return Err(ConfError::Flag(lossy(value)));
    };
    lcf.require_exp = Some(on);
    Ok(Outcome::Ok)
}

fn cmd_require(
    cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    let mut values = args.get(1..).unwrap_or_default();
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

fn cmd_body_limit(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.body_limit.is_some() {
        return Ok(Outcome::Duplicate);
    }
    let mut value = args.get(1).copied().unwrap_or_default();
    // SAFETY: `value` is a valid nginx string.
    let size = unsafe { ngx_parse_size(&mut value) };
    if size < 0 {
        return Err(ConfError::Size(value.to_string_lossy_owned()));
    }
    lcf.body_limit = Some(size as usize);
    Ok(Outcome::Ok)
}

fn cmd_realm(
    _cf: &mut ngx_conf_t,
    lcf: &mut LocConf,
    args: &[ngx_str_t],
) -> Result<Outcome, ConfError> {
    if lcf.realm.is_some() {
        return Ok(Outcome::Duplicate);
    }
    lcf.realm = Some(arg(args, 1).to_vec());
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
    merge_option(&mut conf.header, &prev.header);
    merge_option(&mut conf.token, &prev.token);
    merge_option(&mut conf.leeway, &prev.leeway);
    merge_option(&mut conf.require_exp, &prev.require_exp);
    merge_option(&mut conf.require, &prev.require);
    merge_option(&mut conf.body_limit, &prev.body_limit);
    merge_option(&mut conf.realm, &prev.realm);

    let header = conf.header.get_or_insert_with(|| DEFAULT_HEADER.to_vec());
    conf.header_is_authorization = header.eq_ignore_ascii_case(b"authorization");
    conf.body_limit.get_or_insert(DEFAULT_BODY_LIMIT);

    let realm = conf.realm.as_deref().unwrap_or(DEFAULT_REALM);
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
                "no secret for \"onlyoffice_jwt {}\" in {at}: set \"onlyoffice_jwt_secret\" \
                 or \"onlyoffice_jwt_secret_file\" at its level or above",
                profile.name()
            );
            return NGX_CONF_ERROR;
        }
    };
    conf.verifier = Some(Verifier {
        keys,
        algorithms: conf.algorithms.unwrap_or(AlgorithmSet::default_set()),
        leeway: conf.leeway.unwrap_or(DEFAULT_LEEWAY),
        require_exp: conf
            .require_exp
            .unwrap_or(profile.requires_exp_by_default()),
    });
    NGX_CONF_OK
}

fn merge_option<T: Clone>(conf: &mut Option<T>, prev: &Option<T>) {
    if conf.is_none() {
        conf.clone_from(prev);
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
