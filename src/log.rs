//! Logging helpers in nginx style.
//!
//! `ngx::ngx_log_error!` expands to statements; these wrappers make each call an expression
//! and fix the level, so call sites read like nginx's own `ngx_log_error(NGX_LOG_INFO, ...)`.

/// Logs at `alert`: something nginx or this module guarantees did not hold.
macro_rules! alert {
    ($log:expr, $($arg:tt)+) => {{
        ngx::ngx_log_error!(ngx::ffi::NGX_LOG_ALERT, $log, $($arg)+);
    }};
}

/// Logs at `error`.
macro_rules! error {
    ($log:expr, $($arg:tt)+) => {{
        ngx::ngx_log_error!(ngx::ffi::NGX_LOG_ERR, $log, $($arg)+);
    }};
}

/// Logs a configuration error at `emerg`, with nginx's " in file:line" suffix.
macro_rules! emerg {
    ($cf:expr, $($arg:tt)+) => {{
        ngx::ngx_conf_log_error!(ngx::ffi::NGX_LOG_EMERG, $cf, $($arg)+);
    }};
}

/// Logs a configuration warning, with nginx's " in file:line" suffix.
macro_rules! conf_warn {
    ($cf:expr, $($arg:tt)+) => {{
        ngx::ngx_conf_log_error!(ngx::ffi::NGX_LOG_WARN, $cf, $($arg)+);
    }};
}

/// Logs at `debug` with the http mask (only in `--with-debug` builds).
macro_rules! debug {
    ($log:expr, $($arg:tt)+) => {{
        ngx::ngx_log_debug!(mask: ngx::log::DebugMask::Http, $log, $($arg)+);
    }};
}

pub(crate) use {alert, conf_warn, debug, emerg, error};
