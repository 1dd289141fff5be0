//! Counters shared by all workers and the `onlyoffice_jwt_metrics` content handler that shows
//! them in the Prometheus text format.
//!
//! The counters live in one shared memory zone, `onlyoffice_jwt_metrics` of [`ZONE_SIZE`]
//! bytes, added by the first `onlyoffice_jwt_metrics` directive: without one, nothing is
//! counted. Each is an atomic added to without a lock. nginx keeps a zone of the same name,
//! size and module across a reload, and with it the counts.

use core::ffi::c_void;
use core::ptr;
use core::sync::atomic::{AtomicU64, Ordering};
use std::fmt::Write as _;

use ngx::core::{Buffer, Status};
use ngx::ffi::{
    ngx_chain_t, ngx_conf_t, ngx_http_request_t, ngx_int_t, ngx_shared_memory_add, ngx_shm_zone_t,
    ngx_slab_calloc, ngx_slab_pool_t, ngx_str_t, NGX_ERROR, NGX_OK,
};
use ngx::http::{
    HTTPStatus, HttpModule, HttpModuleLocationConf, HttpModuleMainConf, Method, NgxHttpCoreModule,
    Request,
};
use onlyoffice_jwt_core::{Profile, Refusal};

use crate::Module;

/// The zone's size: the counters take about 1.4 KB of it; nginx's slab allocator needs at
/// least eight pages.
pub const ZONE_SIZE: usize = 64 * 1024;
const ZONE_NAME: &str = "onlyoffice_jwt_metrics";

/// The profiles a request is counted under (`documentserver` counts as the one its path
/// selects).
const PROFILES: [Profile; 6] = [
    Profile::Bearer,
    Profile::Command,
    Profile::Convert,
    Profile::Builder,
    Profile::Callback,
    Profile::Download,
];

/// The reasons of refusals, as `$onlyoffice_jwt_error` names them.
const REASONS: [&str; 13] = [
    "missing",
    "malformed",
    "algorithm",
    "signature",
    "expired",
    "not_yet_valid",
    "issuer",
    "audience",
    "claims",
    "body_mismatch",
    "body_too_large",
    "require",
    "encoding",
];

const P: usize = PROFILES.len();
const R: usize = REASONS.len();

/// The counters, in the zone.
#[repr(C)]
struct Counters {
    /// [`MAGIC`]: a zone kept across a reload by a build with another layout is not reused.
    magic: u64,
    accepted: [AtomicU64; P],
    refused: [[AtomicU64; R]; P],
    dry_run: [[AtomicU64; R]; P],
    body_bytes: [AtomicU64; P],
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
}

const MAGIC: u64 = 0x6f6f_6a77_0000_0000 | core::mem::size_of::<Counters>() as u64;

/// The module's main configuration: the zone, when a location shows the counters.
pub struct MainConf {
    zone: *mut ngx_shm_zone_t,
}

impl Default for MainConf {
    fn default() -> Self {
        MainConf {
            zone: ptr::null_mut(),
        }
    }
}

/// What a check ended in.
#[derive(Clone, Copy)]
pub enum Outcome {
    Accepted,
    Refused(Refusal),
    DryRun(Refusal),
}

/// The counters of this configuration, if it has them.
fn counters(r: &ngx_http_request_t) -> Option<&'static Counters> {
    let mcf = Module::main_conf(r)?;
    // SAFETY: the zone was added at configuration time and lives as long as the cycle; its
    // `data` is null or the `Counters` that `init_zone` placed in it.
    unsafe { mcf.zone.as_ref()?.data.cast::<Counters>().as_ref() }
}

/// Counts a check: its outcome, the body bytes read for it, and the public-key cache's
/// lookups it made (hits, misses).
pub fn count(
    r: &ngx_http_request_t,
    profile: Profile,
    outcome: Outcome,
    body: usize,
    (hits, misses): (u64, u64),
) {
    let Some(c) = counters(r) else {
        return;
    };
    let Some(p) = PROFILES.iter().position(|&x| x == profile) else {
        return;
    };
    let reason = |refusal: Refusal| REASONS.iter().position(|&n| n == refusal.name());
    let counter = match outcome {
        Outcome::Accepted => c.accepted.get(p),
        Outcome::Refused(refusal) => reason(refusal).and_then(|i| c.refused.get(p)?.get(i)),
        Outcome::DryRun(refusal) => reason(refusal).and_then(|i| c.dry_run.get(p)?.get(i)),
    };
    if let Some(counter) = counter {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    if let Some(bytes) = c.body_bytes.get(p) {
        bytes.fetch_add(body as u64, Ordering::Relaxed);
    }
    c.cache_hits.fetch_add(hits, Ordering::Relaxed);
    c.cache_misses.fetch_add(misses, Ordering::Relaxed);
}

/* the zone */

/// Adds the zone (once per configuration) and makes the location of `clcf` show the
/// counters. `None` when nginx could not add it (it has logged why).
pub fn enable(cf: &mut ngx_conf_t) -> Option<()> {
    let mcf = Module::main_conf_mut(cf)?;
    if mcf.zone.is_null() {
        let mut name = ngx_str_t {
            len: ZONE_NAME.len(),
            data: ZONE_NAME.as_ptr().cast_mut(),
        };
        let tag = ptr::from_ref(Module::module()).cast_mut().cast::<c_void>();
        // SAFETY: `cf` is the configuration being read; nginx copies the name.
        let zone = unsafe { ngx_shared_memory_add(cf, &mut name, ZONE_SIZE, tag) };
        // SAFETY: a non-null result is the zone nginx registered for this cycle.
        let z = unsafe { zone.as_mut() }?;
        z.init = Some(init_zone);
        mcf.zone = zone;
    }
    let clcf = NgxHttpCoreModule::location_conf_mut(cf)?;
    clcf.handler = Some(metrics_handler);
    Some(())
}

/// Places the counters in a new zone, or takes those of the zone a reload kept.
extern "C" fn init_zone(zone: *mut ngx_shm_zone_t, data: *mut c_void) -> ngx_int_t {
    crate::guard(NGX_ERROR as ngx_int_t, || {
        // SAFETY: as for `place_counters`.
        unsafe { place_counters(zone, data) }
    })
}

/// [`init_zone`]'s work.
///
/// # Safety
///
/// `zone` is the zone being initialised and `data` the old cycle's `data` of it (or null).
unsafe fn place_counters(zone: *mut ngx_shm_zone_t, data: *mut c_void) -> ngx_int_t {
    // SAFETY: nginx calls a zone's init with the zone and the old cycle's `data` (or null).
    let zone = unsafe { &mut *zone };
    // SAFETY: the old data is the `Counters` this function placed in the same memory.
    if let Some(old) = unsafe { data.cast::<Counters>().as_ref() } {
        if old.magic == MAGIC {
            zone.data = data;
            return NGX_OK as ngx_int_t;
        }
    }
    let pool = zone.shm.addr.cast::<ngx_slab_pool_t>();
    // SAFETY: nginx initialised the zone's slab pool before calling init; the allocation is
    // zeroed, which is a valid `Counters` with no counts.
    let counters = unsafe { ngx_slab_calloc(pool, core::mem::size_of::<Counters>()) };
    // SAFETY: a non-null `counters` is the zeroed allocation.
    let Some(c) = (unsafe { counters.cast::<Counters>().as_mut() }) else {
        return NGX_ERROR as ngx_int_t;
    };
    c.magic = MAGIC;
    zone.data = counters;
    NGX_OK as ngx_int_t
}

/* the content handler */

extern "C" fn metrics_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    crate::guard(NGX_HTTP_INTERNAL_SERVER_ERROR, || {
        // SAFETY: nginx calls content handlers with a valid request.
        show(unsafe { Request::from_ngx_http_request(r) })
    })
}

const NGX_HTTP_INTERNAL_SERVER_ERROR: ngx_int_t = HTTPStatus::INTERNAL_SERVER_ERROR.0 as ngx_int_t;

/// Answers GET and HEAD with the counters.
fn show(r: &mut Request) -> ngx_int_t {
    if r.method() != Method::GET && r.method() != Method::HEAD {
        return HTTPStatus::NOT_ALLOWED.0 as ngx_int_t;
    }
    let rc = r.discard_request_body();
    if !rc.is_ok() {
        return rc.0;
    }
    let Some(c) = counters(r.as_ref()) else {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    };
    let text = render(c);

    r.set_status(HTTPStatus::OK);
    r.set_content_length_n(text.len());
    const TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
    let headers = &mut r.as_mut().headers_out;
    headers.content_type = ngx_str_t {
        len: TYPE.len(),
        data: TYPE.as_ptr().cast_mut(),
    };
    headers.content_type_len = TYPE.len();
    let rc = r.send_header();
    if rc == Status::NGX_ERROR || rc > Status::NGX_OK || r.header_only() {
        return rc.0;
    }

    let Some(mut b) = r.pool().create_buffer_from_str(&text) else {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    };
    b.set_last_buf(true);
    b.set_last_in_chain(true);
    let mut out = ngx_chain_t {
        buf: b.as_ngx_buf_mut(),
        next: ptr::null_mut(),
    };
    r.output_filter(&mut out).0
}

/// The counters in the Prometheus text exposition format (version 0.0.4).
fn render(c: &Counters) -> String {
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(
        "# HELP onlyoffice_jwt_requests_total Requests checked by ngx-onlyoffice-jwt, by \
         profile and outcome (accepted, refused, or refused in a dry run) and reason.\n\
         # TYPE onlyoffice_jwt_requests_total counter\n",
    );
    for (p, profile) in PROFILES.iter().enumerate() {
        let name = profile.name();
        if let Some(n) = c.accepted.get(p) {
            let _ = writeln!(
                out,
                "onlyoffice_jwt_requests_total{{profile=\"{name}\",outcome=\"accepted\"}} {}",
                get(n)
            );
        }
        for (outcome, table) in [("refused", &c.refused), ("dry_run", &c.dry_run)] {
            let Some(row) = table.get(p) else { continue };
            for (reason, n) in REASONS.iter().zip(row) {
                let _ = writeln!(
                    out,
                    "onlyoffice_jwt_requests_total{{profile=\"{name}\",outcome=\"{outcome}\",reason=\"{reason}\"}} {}",
                    get(n)
                );
            }
        }
    }
    out.push_str(
        "# HELP onlyoffice_jwt_body_bytes_total Request body bytes read for body tokens, by \
         profile.\n# TYPE onlyoffice_jwt_body_bytes_total counter\n",
    );
    for (profile, n) in PROFILES.iter().zip(&c.body_bytes) {
        let _ = writeln!(
            out,
            "onlyoffice_jwt_body_bytes_total{{profile=\"{}\"}} {}",
            profile.name(),
            get(n)
        );
    }
    out.push_str(
        "# HELP onlyoffice_jwt_key_cache_lookups_total Lookups in the public-key token cache.\n\
         # TYPE onlyoffice_jwt_key_cache_lookups_total counter\n",
    );
    let _ = writeln!(
        out,
        "onlyoffice_jwt_key_cache_lookups_total{{result=\"hit\"}} {}",
        get(&c.cache_hits)
    );
    let _ = writeln!(
        out,
        "onlyoffice_jwt_key_cache_lookups_total{{result=\"miss\"}} {}",
        get(&c.cache_misses)
    );
    out
}
