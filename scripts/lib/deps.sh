# shellcheck shell=bash
# What the project needs on a Debian 12 machine: source this file, then call
#   ensure_packages        # installs the Debian packages that are missing (apt-get, quiet)
#   ensure_node_modules    # `npm ci` in tests/ when tests/node_modules is missing or stale
# Installing needs root, or sudo when not root; without either it names what is missing and
# fails. Messages go to stderr.

# Everything the build, the tests and scripts/run use. g++ comes with build-essential, psql
# and createdb with postgresql. Boost 1.81 has its own package names: Debian's default
# libboost-dev is 1.74, without Boost.JSON and Boost.URL.
CHAL_DEBIAN_PACKAGES=(
    build-essential g++ cmake ninja-build ccache pkg-config
    libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
    libssl-dev openssl libpq-dev libspdlog-dev libgtest-dev libgmock-dev
    liblasso3-dev  # SAML 2.0 SP (app/saml): maintained SAML library, mod_auth_mellon's engine
    postgresql
    nodejs npm
    chromium  # the verification pages' browser tests (driven by npm playwright-core)
    python3
)

_deps_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_deps_repo_root=$(cd "$_deps_dir/../.." && pwd)

_deps_log() {
    printf 'deps: %s\n' "$*" >&2
}

_deps_is_installed() {
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

# Node.js may come from another archive (NodeSource's nodejs bundles npm and conflicts with
# Debian's npm package): a working `node` and `npm` on PATH count as installed.
_deps_is_present() {
    case $1 in
        nodejs) command -v node >/dev/null 2>&1 || _deps_is_installed nodejs ;;
        npm) command -v npm >/dev/null 2>&1 || _deps_is_installed npm ;;
        *) _deps_is_installed "$1" ;;
    esac
}

# Prints the command prefix that gives root ("" as root, "sudo" otherwise), or fails.
_deps_root_prefix() {
    if [[ $EUID -eq 0 ]]; then
        printf '\n'
    elif command -v sudo >/dev/null 2>&1; then
        printf 'sudo\n'
    else
        return 1
    fi
}

ensure_packages() {
    local missing=() pkg
    for pkg in "${CHAL_DEBIAN_PACKAGES[@]}"; do
        _deps_is_present "$pkg" || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi

    local as_root
    if ! as_root=$(_deps_root_prefix); then
        _deps_log "missing Debian packages: ${missing[*]}"
        _deps_log "installing them needs root or sudo; as root run:"
        _deps_log "  apt-get update && apt-get install -y ${missing[*]}"
        return 1
    fi
    if [[ -n $as_root ]] && ! sudo -n true 2>/dev/null && [[ ! -t 0 ]]; then
        _deps_log "missing Debian packages: ${missing[*]}"
        _deps_log "sudo needs a password and there is no terminal to ask on; run this once by hand:"
        _deps_log "  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
        return 1
    fi

    _deps_log "installing ${missing[*]}"
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300)
    # shellcheck disable=SC2086 # $as_root is empty or one word
    if ! $as_root "${apt[@]}" update -qq >&2; then
        _deps_log "apt-get update failed"
        return 1
    fi
    # shellcheck disable=SC2086
    if ! $as_root "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >&2; then
        _deps_log "apt-get install ${missing[*]} failed"
        return 1
    fi
    for pkg in "${missing[@]}"; do
        if ! _deps_is_present "$pkg"; then
            _deps_log "$pkg is still missing after apt-get install"
            return 1
        fi
    done
    _deps_log "installed ${missing[*]}"
}

# `npm ci` in tests/ when node_modules is missing or older than package-lock.json. npm ci
# rewrites node_modules/.package-lock.json, so that file dates the last install.
ensure_node_modules() {
    local tests=$_deps_repo_root/tests
    local stamp=$tests/node_modules/.package-lock.json
    if [[ -d $tests/node_modules && -f $stamp && ! $tests/package-lock.json -nt $stamp ]]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        _deps_log "npm is not installed (ensure_packages installs it)"
        return 1
    fi
    local node_major
    node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if ((node_major < 20)); then
        _deps_log "warning: Node.js $(node --version 2>/dev/null) is older than tests/package.json asks (>= 20.19)"
    fi
    _deps_log "npm ci in tests/"
    (cd "$tests" && npm ci --no-audit --no-fund --loglevel=error >&2) || {
        _deps_log "npm ci failed in $tests"
        return 1
    }
}
