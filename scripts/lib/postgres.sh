# shellcheck shell=bash
# Throwaway PostgreSQL clusters for tests and benchmarks: source this file, then call
#   port=$(pg_cluster_start <datadir> <port|auto>)   # initdb if needed, start, print the port
#   pg_create_database "$port" <name> [template]
#   pg_database_url "$port" <name>                   # postgresql://postgres@127.0.0.1:PORT/NAME
#   pg_cluster_stop <datadir>
# The server refuses to run as root, so as root it runs as the `postgres` user (which the
# postgresql-15 package creates); as anyone else it runs as that user. It listens on 127.0.0.1
# only, with trust authentication there, and keeps its Unix socket inside the data directory.
# fsync stays on: benchmarks compare against a normally configured server.
# Diagnostics go to stderr; stdout carries only the values the functions return.

# Prints the directory holding initdb, pg_ctl, psql (CHAL_PG_BIN_DIR overrides).
pg_bin_dir() {
    local dir
    for dir in "${CHAL_PG_BIN_DIR:-}" /usr/lib/postgresql/15/bin; do
        if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    done
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1)
    if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]]; then
        printf '%s\n' "$dir"
        return 0
    fi
    echo "pg_bin_dir: PostgreSQL server binaries not found (apt-get install postgresql-15)" >&2
    return 1
}

# Runs a command as the cluster's owner, from / so the owner never lacks access to the cwd.
_pg_as_owner() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

_pg_is_running() {
    local bin=$1 datadir=$2
    [[ -f $datadir/postmaster.pid ]] && _pg_as_owner "$bin/pg_ctl" status -D "$datadir" >/dev/null 2>&1
}

# A port nobody listens on at 127.0.0.1 right now (start retries if it is taken meanwhile).
_pg_free_port() {
    local port attempt
    for attempt in $(seq 1 50); do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 30000))
        if ! timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    echo "pg_cluster_start: no free port found" >&2
    return 1
}

# pg_cluster_start <datadir> <port|auto>: creates the cluster if <datadir> is missing or empty,
# starts it (or finds it running), exports PG_PORT and prints the port.
pg_cluster_start() {
    local datadir=${1:?usage: pg_cluster_start <datadir> <port|auto>} want_port=${2:-auto}
    local bin port attempt
    bin=$(pg_bin_dir) || return 1
    datadir=$(realpath -m -- "$datadir")

    if _pg_is_running "$bin" "$datadir"; then
        port=$(sed -n 4p "$datadir/postmaster.pid")
        echo "pg_cluster_start: already running in $datadir on port $port" >&2
        export PG_PORT=$port
        printf '%s\n' "$port"
        return 0
    fi

    mkdir -p -- "$datadir" || return 1
    if [[ $EUID -eq 0 ]]; then
        chown postgres:postgres -- "$datadir" || return 1
    fi
    chmod 700 -- "$datadir" || return 1
    if ! _pg_as_owner test -w "$datadir" -a -x "$datadir"; then
        echo "pg_cluster_start: user $( [[ $EUID -eq 0 ]] && echo postgres || id -un) cannot reach $datadir;" \
            "every parent directory must be searchable (chmod o+x), or pick a folder under /tmp" >&2
        return 1
    fi

    if [[ ! -f $datadir/PG_VERSION ]]; then
        if [[ -n $(ls -A -- "$datadir") ]]; then
            echo "pg_cluster_start: $datadir is neither empty nor a PostgreSQL data directory" >&2
            return 1
        fi
        local locale=C
        if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then
            locale=C.UTF-8
        fi
        echo "pg_cluster_start: initdb $datadir" >&2
        _pg_as_owner "$bin/initdb" -D "$datadir" -U postgres -E UTF8 --locale="$locale" --auth=trust \
            >"$datadir.initdb.log" 2>&1 || {
            cat "$datadir.initdb.log" >&2
            return 1
        }
        rm -f -- "$datadir.initdb.log"
        # Loopback only: trust over TCP on 127.0.0.1; the socket (in the 0700 data directory) by peer.
        _pg_as_owner tee "$datadir/pg_hba.conf" >/dev/null <<'HBA' || return 1
# Written by scripts/lib/postgres.sh: a throwaway cluster reachable from this machine only.
local   all   all                 peer
host    all   all   127.0.0.1/32  trust
HBA
        local socket_dir=$datadir
        # The socket path (dir + "/.s.PGSQL.NNNNN") must fit in sun_path (107 bytes).
        if ((${#datadir} > 90)); then
            echo "pg_cluster_start: $datadir is too long for a Unix socket path; TCP only" >&2
            socket_dir=
        fi
        _pg_as_owner tee -a "$datadir/postgresql.conf" >/dev/null <<CONF || return 1

# Added by scripts/lib/postgres.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '${socket_dir//\'/\'\'}'
fsync = on
CONF
    fi

    for attempt in 1 2 3 4 5; do
        if [[ $want_port == auto ]]; then
            port=$(_pg_free_port) || return 1
        else
            port=$want_port
        fi
        if _pg_as_owner "$bin/pg_ctl" start -D "$datadir" -w -t 60 -l "$datadir/server.log" -o "-p $port" >&2; then
            export PG_PORT=$port
            printf '%s\n' "$port"
            return 0
        fi
        if [[ $want_port != auto ]]; then
            break
        fi
        echo "pg_cluster_start: start on port $port failed (attempt $attempt); retrying on another port" >&2
    done
    echo "pg_cluster_start: could not start $datadir; last lines of $datadir/server.log:" >&2
    tail -n 20 "$datadir/server.log" >&2 2>/dev/null
    return 1
}

# pg_cluster_stop <datadir>: fast shutdown; a cluster that is not running is fine.
pg_cluster_stop() {
    local datadir=${1:?usage: pg_cluster_stop <datadir>} bin
    bin=$(pg_bin_dir) || return 1
    datadir=$(realpath -m -- "$datadir")
    if _pg_is_running "$bin" "$datadir"; then
        _pg_as_owner "$bin/pg_ctl" stop -D "$datadir" -m fast -w -t 60 >&2
    fi
}

# pg_database_url <port> <name>
pg_database_url() {
    printf 'postgresql://postgres@127.0.0.1:%s/%s\n' "${1:?port}" "${2:?database name}"
}

# pg_create_database <port> <name> [template]: creates the database unless it exists.
pg_create_database() {
    local port=${1:?usage: pg_create_database <port> <name> [template]} name=${2:?database name} template=${3:-}
    local bin exists
    bin=$(pg_bin_dir) || return 1
    if [[ ! $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ || (-n $template && ! $template =~ ^[A-Za-z_][A-Za-z0-9_]*$) ]]; then
        echo "pg_create_database: database names must match [A-Za-z_][A-Za-z0-9_]*" >&2
        return 1
    fi
    exists=$(PGCONNECT_TIMEOUT=10 "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -XAtq \
        -c "SELECT 1 FROM pg_database WHERE datname = '$name'") || return 1
    if [[ $exists != 1 ]]; then
        PGCONNECT_TIMEOUT=10 "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres ${template:+--template="$template"} \
            "$name" || return 1
    fi
}
