# Shared helpers of the scripts (sourced, not run).

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# need_packages PKG...: installs the Debian packages that are not installed yet.
need_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (run as root, or apt-get install them)"
    say "installing ${missing[*]}"
    if [ -z "${NEED_PACKAGES_UPDATED:-}" ]; then
        apt-get update -qq >&2
        NEED_PACKAGES_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# vendored_nginx: prints the path of the nginx binary that the vendored build produced
# (build.rs records the build directory in target/release/nginx-build-dir).
vendored_nginx() {
    local dir
    dir=$(cat "$top/target/release/nginx-build-dir" 2>/dev/null) ||
        die "no vendored nginx build: run cargo build --release first"
    [ -x "$dir/nginx" ] || die "$dir/nginx is missing"
    echo "$dir/nginx"
}

# build_vendored: builds the module and the vendored nginx (release).
build_vendored() {
    need_packages libclang-dev pkg-config make gcc libpcre2-dev libssl-dev zlib1g-dev
    say "building the module and the vendored nginx (cargo build --release)"
    cargo build --release --locked -p ngx-onlyoffice-jwt >&2
}
