//! Build script: version cfgs for the nginx the module is built against.
//!
//! `nginx-sys` exports the configured nginx's version as `DEP_NGINX_VERSION_NUMBER` (this is
//! why `nginx-sys` is a direct dependency). Structures that differ between the nginx versions
//! we support are gated on the cfgs emitted here.

use std::env;

/// (cfg name, first nginx version that has it)
const VERSION_CFGS: &[(&str, u64)] = &[
    // `ngx_table_elt_t.next` exists from 1.23.0 on.
    ("nginx1_23_0", 1_023_000),
];

fn main() {
    println!("cargo::rerun-if-env-changed=DEP_NGINX_VERSION_NUMBER");
    let version: u64 = env::var("DEP_NGINX_VERSION_NUMBER")
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("nginx-sys did not report DEP_NGINX_VERSION_NUMBER");

    for (cfg, since) in VERSION_CFGS {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if version >= *since {
            println!("cargo::rustc-cfg={cfg}");
        }
    }

    // Tell the scripts which nginx tree the module was built against (the vendored build's
    // own `nginx` binary lives in its `objs`).
    if let Ok(dir) = env::var("DEP_NGINX_BUILD_DIR") {
        println!("cargo::rustc-env=NGX_ONLYOFFICE_JWT_NGINX_BUILD_DIR={dir}");
        if let Some(target_profile_dir) = env::var_os("OUT_DIR").as_ref().and_then(|out| {
            std::path::Path::new(out)
                .ancestors()
                .nth(3)
                .map(|p| p.to_path_buf())
        }) {
            let _ = std::fs::write(
                target_profile_dir.join("nginx-build-dir"),
                format!("{dir}\n"),
            );
        }
    }
}
