//! The access-phase handler: finds the token, reads the body when the profile needs it,
//! asks the core for a verdict and answers with nginx's status for it.
//!
//! The body is read the way `ngx_http_mirror_module` does: start reading, drop the reference
//! the reader took with `ngx_http_finalize_request(r, NGX_DONE)`, return `NGX_DONE`, and have
//! the post handler run the phases again, which re-enters this handler with the body in
//! `r->request_body`. A request body filter stops bodies over `onlyoffice_jwt_body_limit`
//! with 413 as soon as they pass the limit, chunked or not.

use core::cell::{Cell, Ref, RefCell};
use core::ffi::c_void;
use core::{mem, ptr, slice};
use std::borrow::Cow;

use ngx::core::NgxStr;
use ngx::core::Status;
use ngx::ffi::{
    ngx_array_push, ngx_chain_t, ngx_conf_t, ngx_http_core_run_phases, ngx_http_finalize_request,
    ngx_http_handler_pt, ngx_http_phases_NGX_HTTP_ACCESS_PHASE, ngx_http_read_client_request_body,
    ngx_http_request_body_filter_pt, ngx_http_request_t, ngx_int_t, ngx_list_push,
    ngx_pool_cleanup_add, ngx_pool_cleanup_t, ngx_read_file, ngx_str_t, ngx_table_elt_t, ngx_time,
    NGX_HTTP_SPECIAL_RESPONSE,
};
use ngx::http::{
    HTTPStatus, HttpModule, HttpModuleLocationConf, HttpModuleMainConf, NgxHttpCoreModule, Request,
};
use onlyoffice_jwt_core::policy::{check_content_encoding, count_args, count_cookies};
use onlyoffice_jwt_core::{check, Accepted, Header, Profile, Refusal, RequestParts};

use crate::conf::{LocConf, Single, TokenSource};
use crate::log::{alert, debug, error};
use crate::metrics::{self, Outcome};
use crate::{guard, Module};

/// The next request body filter in the chain.
static mut NEXT_REQUEST_BODY_FILTER: ngx_http_request_body_filter_pt = None;

/// Where a request is in the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// The body is being read; the body filter counts it.
    Reading,
    /// The body is in `r->request_body`; the next entry decides.
    BodyRead,
    /// Decided: the handler's return code.
    Done(ngx_int_t),
}

/// The per-request context. It lives in a pool cleanup of the request (as realip's does), so
/// the variables still find it after an internal redirect (`error_page 401`), which clears
/// `r->ctx`.
pub struct Ctx {
    /// The profile that applied (after `documentserver` classification).
    profile: Profile,
    state: Cell<State>,
    /// Body bytes seen so far by the body filter.
    received: Cell<usize>,
    /// What the check decided, for the variables.
    outcome: RefCell<Option<Verdict>>,
}

/// What the check decided.
// One per request, in its pool: boxing the accepted token would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Verdict {
    Accepted(Accepted),
    Refused(Refusal),
    /// Refused, and let through by `onlyoffice_jwt_dry_run`.
    DryRun(Refusal),
}

impl Ctx {
    fn new(profile: Profile) -> Self {
        Ctx {
            profile,
            state: Cell::new(State::BodyRead),
            received: Cell::new(0),
            outcome: RefCell::new(None),
        }
    }

    /// What the check decided, when it has.
    pub fn verdict(&self) -> Ref<'_, Option<Verdict>> {
        self.outcome.borrow()
    }

    /// The accepted token, when the check accepted one.
    pub fn accepted(&self) -> Option<Ref<'_, Accepted>> {
        Ref::filter_map(self.outcome.borrow(), |verdict| match verdict {
            Some(Verdict::Accepted(accepted)) => Some(accepted),
            _ => None,
        })
        .ok()
    }
}

/* registration */

/// Adds the access handler and the request body filter.
pub fn postconfiguration(cf: &mut ngx_conf_t) -> Result<(), Status> {
    let cmcf = NgxHttpCoreModule::main_conf_mut(cf).expect("http core main conf");
    let phase = &mut cmcf.phases[ngx_http_phases_NGX_HTTP_ACCESS_PHASE as usize];
    // SAFETY: the access phase's handler array is an nginx array of handler pointers.
    let h: *mut ngx_http_handler_pt = unsafe { ngx_array_push(&mut phase.handlers) }.cast();
    if h.is_null() {
        return Err(Status::NGX_ERROR);
    }
    // SAFETY: `h` points to the new, writable element.
    unsafe { *h = Some(access_handler) };

    // SAFETY: configuration runs single-threaded; this is how nginx modules join the request
    // body filter chain.
    unsafe {
        NEXT_REQUEST_BODY_FILTER = ngx::ffi::ngx_http_top_request_body_filter;
        ngx::ffi::ngx_http_top_request_body_filter = Some(request_body_filter);
    }
    Ok(())
}

/* the handler */

extern "C" fn access_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    let step = guard(Step::Done(NGX_HTTP_INTERNAL_SERVER_ERROR), || {
        // SAFETY: nginx calls phase handlers with a valid request.
        access(unsafe { Request::from_ngx_http_request(r) })
    });
    match step {
        Step::Done(rc) => rc,
        // No reference to the request is alive here: reading the body may finish the request.
        Step::ReadBody => guard(NGX_HTTP_INTERNAL_SERVER_ERROR, || {
            // SAFETY: the request nginx passed, in the access phase.
            unsafe { start_body_read(r) }
        }),
    }
}

/// What the access handler does next.
enum Step {
    /// Return this code to nginx.
    Done(ngx_int_t),
    /// Read the body, then decide.
    ReadBody,
}

fn access(r: &mut Request) -> Step {
    let lcf = location_conf(r);
    let mut profile = lcf.profile;
    if profile == Profile::Off {
        return Step::Done(NGX_DECLINED);
    }
    if lcf.verifier.is_none() {
        // The merge builds a verifier for every level whose profile is on: fail closed.
        alert!(
            r.log(),
            "onlyoffice_jwt: no verifier for profile \"{}\"",
            profile.name()
        );
        return Step::Done(NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
    if profile == Profile::DocumentServer {
        match Profile::classify_documentserver_path(r.path().as_bytes()) {
            Some(p) => profile = p,
            None => return Step::Done(NGX_DECLINED),
        }
    }

    if let Some(ctx) = own_ctx(r.as_ref()) {
        return Step::Done(match ctx.state.get() {
            State::Reading => NGX_AGAIN,
            State::BodyRead => decide(r, ctx, lcf),
            State::Done(rc) => rc,
        });
    }

    let Some(ctx) = new_ctx(r, profile) else {
        return Step::Done(Status::NGX_ERROR.0);
    };
    if !profile.reads_body() {
        return Step::Done(decide(r, ctx, lcf));
    }

    if let Err(refusal) = check_content_encoding(&content_encodings(r)) {
        return Step::Done(refuse(r, ctx, lcf, refusal));
    }
    let length = r.as_ref().headers_in.content_length_n;
    if length > 0 && length as u64 > lcf.body_limit as u64 {
        return Step::Done(refuse(r, ctx, lcf, Refusal::BodyTooLarge));
    }
    Step::ReadBody
}

/// Starts reading the body of a request whose profile needs it; the post handler resumes the
/// phases.
///
/// # Safety
///
/// `r` is a valid main request in the access phase, with this module's context. Only raw
/// pointers to it (and to the context in its pool) are held across the calls below: the body
/// may be read at once, the post handler then runs the phases (and this handler) again, and
/// `ngx_http_finalize_request(r, NGX_DONE)` may finish the request and free its pool, as in
/// `ngx_http_mirror_module`.
unsafe fn start_body_read(r: *mut ngx_http_request_t) -> ngx_int_t {
    {
        // SAFETY: see above; these references end before the body is read.
        let rr = unsafe { Request::from_ngx_http_request(r) };
        let Some(ctx) = own_ctx(rr.as_ref()) else {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        };
        ctx.state.set(State::Reading);
        rr.as_mut().set_request_body_in_single_buf(1);
    }
    // SAFETY: `r` is a main request in the access phase; `body_read` resumes the phases.
    let rc = unsafe { ngx_http_read_client_request_body(r, Some(body_read)) };
    if rc >= NGX_HTTP_SPECIAL_RESPONSE as ngx_int_t {
        return rc;
    }
    // SAFETY: drops the reference ngx_http_read_client_request_body took; the body reader or
    // the post handler owns the request from here, and nothing of it is used after this.
    unsafe { ngx_http_finalize_request(r, Status::NGX_DONE.0) };
    Status::NGX_DONE.0
}

/// The post handler of the body read: runs the phases again, which re-enters the handler.
extern "C" fn body_read(r: *mut ngx_http_request_t) {
    let resumed = guard(false, || {
        // SAFETY: nginx calls the post handler with the request whose body was read.
        let rr = unsafe { Request::from_ngx_http_request(r) };
        if let Some(ctx) = own_ctx(rr.as_ref()) {
            // a dry run's refusal of a body past the limit has decided already
            if ctx.state.get() == State::Reading {
                ctx.state.set(State::BodyRead);
            }
        }
        rr.as_mut().set_preserve_body(1);
        rr.as_mut().write_event_handler = Some(ngx_http_core_run_phases);
        true
    });
    // SAFETY: as ngx_http_mirror_module does after reading a body; the phases re-enter the
    // (guarded) access handler. After a panic the request ends with 500.
    unsafe {
        match resumed {
            true => ngx_http_core_run_phases(r),
            false => ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR),
        }
    }
}

/// Asks the core for a verdict on the request as it is now.
fn decide(r: &mut Request, ctx: &Ctx, lcf: &LocConf) -> ngx_int_t {
    let Some(verifier) = lcf.verifier.as_ref() else {
        // access() answered 500 for this already
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    };
    let profile = ctx.profile;

    let token_value;
    let token_override = match &lcf.token {
        Some(source) => {
            if token_source_repeated(r, source) {
                return refuse(r, ctx, lcf, Refusal::Malformed);
            }
            token_value = complex_value(r, source.value);
            Some(token_value.map_or(&[][..], NgxStr::as_bytes))
        }
        None => None,
    };

    let body = if profile.reads_body() {
        match request_body(r) {
            Ok(body) => body,
            Err(()) => {
                ctx.state.set(State::Done(NGX_HTTP_INTERNAL_SERVER_ERROR));
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    } else {
        None
    };

    let parts = RequestParts {
        token_override,
        header: token_header(r, lcf),
        args: r.as_ref().args.as_bytes(),
        body: body.as_deref(),
        request_uri: r.unparsed_uri().as_bytes(),
    };

    match check(profile, &parts, verifier, ngx_time() as i64) {
        Ok(accepted) => {
            *ctx.outcome.borrow_mut() = Some(Verdict::Accepted(accepted));
            // the requirements read the claims; a refusal replaces the accepted token
            if let Some(status) = failed_requirement(r, lcf) {
                return refuse_with(r, ctx, lcf, Refusal::Require, status);
            }
            debug!(
                r.log(),
                "onlyoffice_jwt: token accepted, profile \"{}\"",
                profile.name()
            );
            let lookups = verifier.take_lookups();
            metrics::count(
                r.as_ref(),
                profile,
                Outcome::Accepted,
                ctx.received.get(),
                lookups,
            );
            ctx.state.set(State::Done(NGX_OK));
            NGX_OK
        }
        Err(refusal) => refuse(r, ctx, lcf, refusal),
    }
}

/// Evaluates `onlyoffice_jwt_require`: the status of the first requirement with an empty or
/// `0` value.
fn failed_requirement(r: &Request, lcf: &LocConf) -> Option<u16> {
    for req in &lcf.require {
        for &cv in &req.values {
            match complex_value(r, cv).map(NgxStr::as_bytes) {
                Some(v) if !v.is_empty() && v != b"0" => {}
                _ => return Some(req.status),
            }
        }
    }
    None
}

fn refuse(r: &mut Request, ctx: &Ctx, lcf: &LocConf, refusal: Refusal) -> ngx_int_t {
    refuse_with(r, ctx, lcf, refusal, refusal.status())
}

/// Logs a refusal once (at `onlyoffice_jwt_log_level`), remembers it for the variables, and
/// adds the challenge to a 401. In a dry run the request goes on as if the module were off.
fn refuse_with(
    r: &mut Request,
    ctx: &Ctx,
    lcf: &LocConf,
    refusal: Refusal,
    status: u16,
) -> ngx_int_t {
    let (verdict, outcome) = if lcf.dry_run {
        (Verdict::DryRun(refusal), Outcome::DryRun(refusal))
    } else {
        (Verdict::Refused(refusal), Outcome::Refused(refusal))
    };
    *ctx.outcome.borrow_mut() = Some(verdict);
    let lookups = lcf.verifier.as_ref().map_or((0, 0), |v| v.take_lookups());
    metrics::count(
        r.as_ref(),
        ctx.profile,
        outcome,
        ctx.received.get(),
        lookups,
    );
    if lcf.dry_run {
        ngx::ngx_log_error!(
            lcf.log_level,
            r.log(),
            "onlyoffice_jwt: {refusal}, profile \"{}\", would answer {status}, dry run",
            ctx.profile.name()
        );
        ctx.state.set(State::Done(NGX_DECLINED));
        return NGX_DECLINED;
    }
    ngx::ngx_log_error!(
        lcf.log_level,
        r.log(),
        "onlyoffice_jwt: {refusal}, profile \"{}\", answering {status}",
        ctx.profile.name()
    );
    let rc = status as ngx_int_t;
    if status == 401 {
        let value = if refusal.invalid_token() || refusal == Refusal::Require {
            &lcf.challenge_invalid
        } else {
            &lcf.challenge
        };
        if set_www_authenticate(r.as_mut(), value).is_err() {
            ctx.state.set(State::Done(NGX_HTTP_INTERNAL_SERVER_ERROR));
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    ctx.state.set(State::Done(rc));
    rc
}

/// Adds `WWW-Authenticate` the way `ngx_http_auth_basic_module` does, so that `satisfy any`
/// can take it back.
fn set_www_authenticate(r: &mut ngx_http_request_t, value: &[u8]) -> Result<(), ()> {
    // SAFETY: `headers_out.headers` is the request's output header list.
    let h: *mut ngx_table_elt_t = unsafe { ngx_list_push(&mut r.headers_out.headers) }.cast();
    // SAFETY: a non-null `h` is a fresh, writable list element.
    let h = unsafe { h.as_mut() }.ok_or(())?;
    // SAFETY: `r.pool` is the request pool; the bytes are copied into it.
    let value = unsafe { ngx_str_t::from_bytes(r.pool, value) }.ok_or(())?;
    h.hash = 1;
    h.key = ngx::ngx_string!("WWW-Authenticate");
    h.value = value;
    h.lowcase_key = ptr::null_mut();
    #[cfg(nginx1_23_0)]
    {
        h.next = ptr::null_mut();
    }
    r.headers_out.www_authenticate = h;
    Ok(())
}

/* request pieces */

/// The header `onlyoffice_jwt_header` names: absent, one value, or sent more than once.
fn token_header<'a>(r: &'a Request, lcf: &LocConf) -> Header<'a> {
    if lcf.header_is_authorization {
        // SAFETY: nginx keeps the (unique) Authorization header here, or null.
        return match unsafe { r.as_ref().headers_in.authorization.as_ref() } {
            Some(h) => Header::One(h.value.as_bytes()),
            None => Header::Absent,
        };
    }
    let mut header = Header::Absent;
    for (key, value) in r.headers_in_iterator() {
        if key.as_bytes().eq_ignore_ascii_case(&lcf.header) {
            if header != Header::Absent {
                return Header::Ambiguous;
            }
            header = Header::One(value.as_bytes());
        }
    }
    header
}

/// The values of every `Content-Encoding` header of the request.
fn content_encodings(r: &Request) -> Vec<&[u8]> {
    r.headers_in_iterator()
        .filter(|(key, _)| key.as_bytes().eq_ignore_ascii_case(b"Content-Encoding"))
        .map(|(_, value)| value.as_bytes())
        .collect()
}

/// Whether an argument or cookie that `onlyoffice_jwt_token` reads is in the request more
/// than once (nginx's variable shows the first; an application behind may read the last).
fn token_source_repeated(r: &Request, source: &TokenSource) -> bool {
    if source.singles.is_empty() {
        return false;
    }
    let cookies: Vec<&[u8]> = r
        .headers_in_iterator()
        .filter(|(key, _)| key.as_bytes().eq_ignore_ascii_case(b"Cookie"))
        .map(|(_, value)| value.as_bytes())
        .collect();
    source.singles.iter().any(|single| match single {
        Single::Arg(name) => count_args(r.as_ref().args.as_bytes(), name) > 1,
        Single::Cookie(name) => count_cookies(&cookies, name) > 1,
    })
}

/// The request body: borrowed when nginx holds it in one memory buffer, else copied once,
/// from its buffers and temporary file, into one vector. `Ok(None)` when there is none.
fn request_body(r: &Request) -> Result<Option<Cow<'_, [u8]>>, ()> {
    // SAFETY: `request_body` is null or the body nginx read for this request.
    let Some(rb) = (unsafe { r.as_ref().request_body.as_ref() }) else {
        return Ok(None);
    };
    let mut parts = Vec::new();
    let mut chain = rb.bufs;
    // SAFETY: `bufs` is null or the body's chain, whose links are valid or null.
    while let Some(link) = unsafe { chain.as_ref() } {
        // SAFETY: a chain link's `buf` is a valid buffer or null.
        if let Some(buf) = unsafe { link.buf.as_ref() } {
            let part = body_part(buf)?;
            if !part.is_empty() {
                parts.push(part);
            }
        }
        chain = link.next;
    }
    let body = match parts.as_slice() {
        [] => return Ok(None),
        [BodyPart::Memory(data)] => return Ok(Some(Cow::Borrowed(data))),
        _ => Vec::with_capacity(parts.iter().map(BodyPart::len).sum()),
    };
    parts
        .iter()
        .try_fold(body, |mut body, part| {
            match part {
                BodyPart::Memory(data) => body.extend_from_slice(data),
                BodyPart::File(buf) => {
                    let at = body.len();
                    body.resize(at + part.len(), 0);
                    read_file_part(r, buf, body.get_mut(at..).unwrap_or_default())?;
                }
            }
            Ok(body)
        })
        .map(|body| Some(Cow::Owned(body)))
}

/// A piece of the body: in memory, or in the temporary file.
enum BodyPart<'a> {
    Memory(&'a [u8]),
    File(&'a ngx::ffi::ngx_buf_t),
}

impl BodyPart<'_> {
    fn len(&self) -> usize {
        match self {
            BodyPart::Memory(data) => data.len(),
            // `body_part` checked that the file range fits a `usize`
            BodyPart::File(buf) => usize::try_from(buf.file_last - buf.file_pos).unwrap_or(0),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn body_part(buf: &ngx::ffi::ngx_buf_t) -> Result<BodyPart<'_>, ()> {
    if buf.in_file() != 0 {
        usize::try_from(buf.file_last - buf.file_pos).map_err(|_| ())?;
        return Ok(BodyPart::File(buf));
    }
    if buf.pos.is_null() || buf.last <= buf.pos {
        return Ok(BodyPart::Memory(&[]));
    }
    // SAFETY: `pos..last` of a memory buffer is initialised data of the body.
    Ok(BodyPart::Memory(unsafe {
        slice::from_raw_parts(buf.pos, buf.last.offset_from(buf.pos) as usize)
    }))
}

/// Reads the part of the body a file buffer stands for into `out`, which has its length.
fn read_file_part(r: &Request, buf: &ngx::ffi::ngx_buf_t, out: &mut [u8]) -> Result<(), ()> {
    // SAFETY: a file buffer's `file` is the open temporary file of the body; `out` has room
    // for `out.len()` bytes.
    let n = unsafe { ngx_read_file(buf.file, out.as_mut_ptr(), out.len(), buf.file_pos) };
    if n != out.len() as isize {
        error!(
            r.log(),
            "onlyoffice_jwt: cannot read the request body from its temporary file"
        );
        return Err(());
    }
    Ok(())
}

/// Evaluates a complex value; `None` when nginx could not. The string is in the request pool
/// (no copy is made).
fn complex_value(r: &Request, cv: *mut ngx::ffi::ngx_http_complex_value_t) -> Option<&NgxStr> {
    // SAFETY: `cv` is null or was compiled at configuration time, which outlives the request.
    r.get_complex_value(unsafe { cv.as_ref() }?)
}

/* the body filter */

/// Counts the body of requests being checked, and stops it with 413 past the limit.
extern "C" fn request_body_filter(
    r: *mut ngx_http_request_t,
    chain: *mut ngx_chain_t,
) -> ngx_int_t {
    let verdict = guard(Some(NGX_HTTP_INTERNAL_SERVER_ERROR), || {
        // SAFETY: nginx calls body filters with a valid request.
        let rr = unsafe { Request::from_ngx_http_request(r) };
        let ctx = own_ctx(rr.as_ref())?;
        if ctx.state.get() != State::Reading {
            return None;
        }
        let mut size = 0usize;
        let mut link = chain;
        // SAFETY: the chain nginx passes is a valid list of links with valid buffers.
        while let Some(l) = unsafe { link.as_ref() } {
            // SAFETY: a link's `buf` is a valid buffer or null.
            if let Some(b) = unsafe { l.buf.as_ref() } {
                if !b.pos.is_null() && b.last > b.pos {
                    // SAFETY: both pointers are in the same buffer.
                    size = size.saturating_add(unsafe { b.last.offset_from(b.pos) } as usize);
                }
            }
            link = l.next;
        }
        let total = ctx.received.get().saturating_add(size);
        ctx.received.set(total);
        let lcf = location_conf(rr);
        if total > lcf.body_limit {
            let rc = refuse(rr, ctx, lcf, Refusal::BodyTooLarge);
            // in a dry run the body goes on to the upstream
            return (rc != NGX_DECLINED).then_some(rc);
        }
        None
    });
    if let Some(rc) = verdict {
        return rc;
    }
    // SAFETY: the next filter was saved at configuration time; the chain is passed on as is.
    match unsafe { NEXT_REQUEST_BODY_FILTER } {
        Some(next) => unsafe { next(r, chain) },
        None => NGX_OK,
    }
}

/* the context */

/// The module's location configuration for a request; nginx guarantees it exists.
fn location_conf(r: &Request) -> &'static LocConf {
    Module::location_conf(r.as_ref()).expect("onlyoffice_jwt location conf")
}

/// The context this request's check made (`r->ctx`, which an internal redirect clears).
fn own_ctx(r: &ngx_http_request_t) -> Option<&'static Ctx> {
    // SAFETY: `ctx` is the request's module context array; ours is null or a `Ctx` in the
    // request pool, which lives as long as the request.
    unsafe {
        (*r.ctx.add(Module::module().ctx_index))
            .cast::<Ctx>()
            .as_ref()
    }
}

/// The context of this request, also after an internal redirect: it is found among the
/// request pool's cleanups when `r->ctx` was cleared.
pub fn request_ctx(r: &ngx_http_request_t) -> Option<&'static Ctx> {
    if let Some(ctx) = own_ctx(r) {
        return Some(ctx);
    }
    if r.internal() == 0 {
        return None;
    }
    // SAFETY: the pool's cleanup list is a valid singly linked list.
    let mut c = unsafe { (*r.pool).cleanup };
    while let Some(cln) = unsafe { c.as_ref() } {
        // `drop_ctx` is one non-generic function of this crate: its address identifies our
        // cleanups, as realip's `ngx_http_realip_cleanup` does in C.
        #[allow(unpredictable_function_pointer_comparisons)]
        if cln.handler == Some(drop_ctx as unsafe extern "C" fn(*mut c_void)) {
            // SAFETY: cleanups with our handler hold a `Ctx`.
            return unsafe { cln.data.cast::<Ctx>().as_ref() };
        }
        c = cln.next;
    }
    None
}

/// Creates the context in a request pool cleanup and sets it as the module's context.
fn new_ctx(r: &mut Request, profile: Profile) -> Option<&'static Ctx> {
    // The pool aligns to `NGX_ALIGNMENT` only, and the context may need more (the accepted
    // token holds `i128`s): room for the context at its own alignment.
    let align = mem::align_of::<Ctx>();
    // SAFETY: allocates a cleanup with `size + align - 1` bytes in the request pool.
    let cln: *mut ngx_pool_cleanup_t =
        unsafe { ngx_pool_cleanup_add(r.as_ref().pool, mem::size_of::<Ctx>() + align - 1) };
    // SAFETY: a non-null cleanup is ours to fill.
    let cln = unsafe { cln.as_mut() }?;
    let raw = cln.data.cast::<u8>();
    let offset = raw.align_offset(align);
    if raw.is_null() || offset >= align {
        return None;
    }
    // SAFETY: `offset < align`: the aligned address is inside the allocation.
    let data = unsafe { raw.add(offset) }.cast::<Ctx>();
    // SAFETY: `data` is aligned, with `size_of::<Ctx>()` bytes of the allocation after it.
    unsafe { data.write(Ctx::new(profile)) };
    cln.data = data.cast();
    cln.handler = Some(drop_ctx);
    r.set_module_ctx(data.cast(), Module::module());
    // SAFETY: just written; lives until the pool is destroyed.
    unsafe { data.as_ref() }
}

unsafe extern "C" fn drop_ctx(data: *mut c_void) {
    // SAFETY: `data` holds the `Ctx` written by `new_ctx`, dropped once by nginx.
    unsafe { ptr::drop_in_place(data.cast::<Ctx>()) };
}

const NGX_OK: ngx_int_t = Status::NGX_OK.0;
const NGX_AGAIN: ngx_int_t = Status::NGX_AGAIN.0;
const NGX_DECLINED: ngx_int_t = Status::NGX_DECLINED.0;
const NGX_HTTP_INTERNAL_SERVER_ERROR: ngx_int_t = HTTPStatus::INTERNAL_SERVER_ERROR.0 as ngx_int_t;
