//! Variables: `$jwt_claim_<name>`, `$jwt_header_<name>`, `$jwt_payload`,
//! `$onlyoffice_jwt_error` and `$onlyoffice_jwt_status`.
//!
//! No value holds a control character ([`render`]).
//!
//! They read the request's context, so they are empty until the access phase has run (and
//! they stay set after an internal redirect such as `error_page 401`). None is cacheable: a
//! read before the check must not pin "not found".

use core::ptr;

use ngx::core::Status;
use ngx::ffi::{
    ngx_conf_t, ngx_http_add_variable, ngx_http_request_t, ngx_http_variable_t, ngx_int_t,
    ngx_pnalloc, ngx_str_t, ngx_uint_t, ngx_variable_value_t, NGX_HTTP_VAR_NOCACHEABLE,
    NGX_HTTP_VAR_PREFIX, NGX_OK,
};
use onlyoffice_jwt_core::render;

use crate::handler::{request_ctx, Verdict};

type GetHandler =
    unsafe extern "C" fn(*mut ngx_http_request_t, *mut ngx_variable_value_t, usize) -> ngx_int_t;

/// (name, flags, handler)
const VARIABLES: [(&str, u32, GetHandler); 5] = [
    ("jwt_claim_", NGX_HTTP_VAR_PREFIX, get_claim),
    ("jwt_header_", NGX_HTTP_VAR_PREFIX, get_header),
    ("jwt_payload", 0, get_payload),
    ("onlyoffice_jwt_error", 0, get_error),
    ("onlyoffice_jwt_status", 0, get_status),
];

/// Registers the variables (preconfiguration).
pub fn add_variables(cf: &mut ngx_conf_t) -> Result<(), Status> {
    for (name, flags, handler) in VARIABLES {
        let mut name = ngx_str_t {
            len: name.len(),
            data: name.as_ptr().cast_mut(),
        };
        let flags = (flags | NGX_HTTP_VAR_NOCACHEABLE) as ngx_uint_t;
        // SAFETY: `cf` is the configuration being parsed; nginx copies the name.
        let var: *mut ngx_http_variable_t = unsafe { ngx_http_add_variable(cf, &mut name, flags) };
        // SAFETY: a non-null result is the variable nginx registered.
        let var = unsafe { var.as_mut() }.ok_or(Status::NGX_ERROR)?;
        var.get_handler = Some(handler);
        var.data = 0;
    }
    Ok(())
}

/// The part of a prefix variable's name after its prefix (nginx passes the full name).
///
/// # Safety
///
/// For prefix variables nginx passes a pointer to the variable's name as `data`.
unsafe fn suffix(data: usize, prefix: &str) -> Option<&'static [u8]> {
    // SAFETY: see above.
    let name = unsafe { (data as *const ngx_str_t).as_ref() }?;
    name.as_bytes().get(prefix.len()..)
}

unsafe extern "C" fn get_claim(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    data: usize,
) -> ngx_int_t {
    // SAFETY: nginx passes the variable's name as `data`.
    let name = unsafe { suffix(data, "jwt_claim_") };
    with_value(r, v, |ctx| {
        let name = std::str::from_utf8(name?).ok()?;
        ctx.accepted()?
            .token
            .claim_ignore_case(name)
            .map(render::value)
    })
}

unsafe extern "C" fn get_header(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    data: usize,
) -> ngx_int_t {
    // SAFETY: nginx passes the variable's name as `data`.
    let name = unsafe { suffix(data, "jwt_header_") };
    with_value(r, v, |ctx| {
        let name = std::str::from_utf8(name?).ok()?;
        ctx.accepted()?
            .token
            .header_ignore_case(name)
            .map(render::value)
    })
}

unsafe extern "C" fn get_payload(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    _data: usize,
) -> ngx_int_t {
    with_value(r, v, |ctx| {
        Some(render::json_text(ctx.accepted()?.token.claims_json()))
    })
}

unsafe extern "C" fn get_error(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    _data: usize,
) -> ngx_int_t {
    with_value(r, v, |ctx| match &*ctx.verdict() {
        Some(Verdict::Refused(refusal) | Verdict::DryRun(refusal)) => {
            Some(refusal.name().as_bytes().to_vec())
        }
        Some(Verdict::Accepted(_)) => Some(Vec::new()),
        None => None,
    })
}

/// `PASSED`, `REJECTED` or `REJECTED_DRY_RUN`, as `$limit_req_status`; not found where the
/// module did not decide.
unsafe extern "C" fn get_status(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    _data: usize,
) -> ngx_int_t {
    with_value(r, v, |ctx| {
        let status: &[u8] = match &*ctx.verdict() {
            Some(Verdict::Accepted(_)) => b"PASSED",
            Some(Verdict::Refused(_)) => b"REJECTED",
            Some(Verdict::DryRun(_)) => b"REJECTED_DRY_RUN",
            None => return None,
        };
        Some(status.to_vec())
    })
}

/// Fills `v` with what `f` finds in the request's context (copied to the request pool), or
/// marks it not found.
fn with_value(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    f: impl FnOnce(&crate::handler::Ctx) -> Option<Vec<u8>>,
) -> ngx_int_t {
    let found = crate::guard(None, || {
        // SAFETY: nginx passes a valid request to variable handlers.
        let r = unsafe { &*r };
        request_ctx(r).and_then(f)
    });
    // SAFETY: nginx passes a valid variable value to fill.
    let v = unsafe { &mut *v };
    match found {
        Some(bytes) => {
            // SAFETY: `r` is valid; the copy lives in the request pool.
            let data: *mut u8 = unsafe { ngx_pnalloc((*r).pool, bytes.len().max(1)) }.cast();
            if data.is_null() {
                return ngx::ffi::NGX_ERROR as ngx_int_t;
            }
            // SAFETY: `data` has room for `bytes.len()` bytes.
            unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), data, bytes.len()) };
            v.data = data;
            v.set_len(bytes.len() as u32);
            v.set_valid(1);
            v.set_no_cacheable(1);
            v.set_not_found(0);
        }
        None => v.set_not_found(1),
    }
    NGX_OK as ngx_int_t
}
