//! ngx-onlyoffice-jwt: ONLYOFFICE JWT enforcement for nginx.
//!
//! This crate is the nginx glue: module registration (this file), configuration
//! ([`conf`]), the access-phase handler and body reading ([`handler`]), variables
//! ([`variables`]), the shared counters ([`metrics`]) and logging ([`log`]). The JWT and policy logic lives in the
//! `onlyoffice-jwt-core` crate, which knows nothing of nginx.

use core::ptr;

use ngx::core::Status;
use ngx::ffi::{
    ngx_conf_t, ngx_http_module_t, ngx_int_t, ngx_module_t, ngx_uint_t, NGX_HTTP_MODULE,
};
use ngx::http::{HttpModule, HttpModuleLocationConf, HttpModuleMainConf};

mod conf;
mod handler;
mod log;
mod metrics;
mod variables;

use conf::LocConf;

/// The module's `HttpModule` implementation.
pub struct Module;

impl HttpModule for Module {
    fn module() -> &'static ngx_module_t {
        // SAFETY: the module static is only written by nginx while loading the module, before
        // any of the module's callbacks run.
        unsafe { &*ptr::addr_of!(ngx_http_onlyoffice_jwt_module) }
    }

    unsafe extern "C" fn preconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
        guard(Status::NGX_ERROR.into(), || {
            // SAFETY: nginx passes a valid configuration.
            let cf = unsafe { &mut *cf };
            match variables::add_variables(cf) {
                Ok(()) => Status::NGX_OK.into(),
                Err(status) => status.into(),
            }
        })
    }

    unsafe extern "C" fn postconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
        guard(Status::NGX_ERROR.into(), || {
            // SAFETY: nginx passes a valid configuration.
            let cf = unsafe { &mut *cf };
            match handler::postconfiguration(cf) {
                Ok(()) => Status::NGX_OK.into(),
                Err(status) => status.into(),
            }
        })
    }
}

// SAFETY: the main configuration type is `MainConf`, created by `create_main_conf`.
/// Runs the body of a function nginx calls: a panic must not unwind into nginx (nor abort the
/// process), so it returns `fallback` instead: a 500 for a request, an error for the
/// configuration being read, which a reload then does not take.
pub(crate) fn guard<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(fallback)
}

unsafe impl HttpModuleMainConf for Module {
    type MainConf = metrics::MainConf;
}

// `create_loc_conf` puts the configuration in the pool, which aligns to `NGX_ALIGNMENT`.
const _: () = assert!(core::mem::align_of::<LocConf>() <= core::mem::align_of::<usize>());

// SAFETY: the location configuration type is `LocConf`, created by `create_loc_conf`.
unsafe impl HttpModuleLocationConf for Module {
    type LocationConf = LocConf;
}

static NGX_HTTP_ONLYOFFICE_JWT_MODULE_CTX: ngx_http_module_t = ngx_http_module_t {
    preconfiguration: Some(Module::preconfiguration),
    postconfiguration: Some(Module::postconfiguration),
    create_main_conf: Some(Module::create_main_conf),
    init_main_conf: None,
    create_srv_conf: None,
    merge_srv_conf: None,
    create_loc_conf: Some(Module::create_loc_conf),
    merge_loc_conf: Some(conf::ngx_merge_loc_conf),
};

#[cfg(feature = "export-modules")]
ngx::ngx_modules!(ngx_http_onlyoffice_jwt_module);

/// The module, as nginx sees it.
#[used]
#[allow(non_upper_case_globals)]
#[cfg_attr(not(feature = "export-modules"), no_mangle)]
pub static mut ngx_http_onlyoffice_jwt_module: ngx_module_t = ngx_module_t {
    ctx: ptr::addr_of!(NGX_HTTP_ONLYOFFICE_JWT_MODULE_CTX)
        .cast_mut()
        .cast(),
    // SAFETY: only the address of the command table is taken.
    commands: unsafe { ptr::addr_of_mut!(conf::NGX_HTTP_ONLYOFFICE_JWT_COMMANDS[0]) },
    type_: NGX_HTTP_MODULE as ngx_uint_t,
    ..ngx_module_t::default()
};
