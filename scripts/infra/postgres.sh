# PostgreSQL for scripts/infra.sh: Debian's server (installed when missing), its `main` cluster on
# 127.0.0.1:$PGPORT with the telemetry role and database; up, down, status and its log. Sourced by
# infra.sh after lib.sh, common.sh and its settings (PGPORT), never run.

PG_CLUSTER=main
PG_SOCKET_DIR=/var/run/postgresql
PG_STARTED_MARKER=$LOCAL_DIR/postgres.started-by-infra # "VERSION CLUSTER" of a cluster we started
PG_URL="postgres://telemetry:telemetry@127.0.0.1:$PGPORT/telemetry"

# DATABASE_URL set to anything but the local cluster is an external database (see kafka_is_external).
pg_is_external() { [[ -n ${DATABASE_URL:-} && $DATABASE_URL != "$PG_URL" ]]; }

redact_url() { sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$1"; }

pg_server_installed() {
  have pg_lsclusters && have pg_ctlcluster && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

# Newest installed server major version.
pg_server_version() {
  local dir
  for dir in /usr/lib/postgresql/*/bin/postgres; do dir=${dir#/usr/lib/postgresql/}; echo "${dir%%/*}"; done |
    sort -n | tail -n 1
}

# pg_cluster_line VERSION: "ver cluster port status owner datadir logfile" or nothing.
pg_cluster_line() { pg_lsclusters -h 2>/dev/null | awk -v v="$1" -v c="$PG_CLUSTER" '$1 == v && $2 == c'; }

# psql as the postgres superuser over the Unix socket (peer authentication).
pg_admin() {
  local port=$1
  shift
  local runner=(runuser -u postgres --)
  ((EUID == 0)) || runner=(sudo -u postgres)
  # cd /: postgres cannot read root's cwd, and psql warns about it.
  (cd / && "${runner[@]}" psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$port" -U postgres -d postgres "$@")
}

pg_wait_ready() {
  local port=$1 waited=0
  until pg_isready -q -h 127.0.0.1 -p "$port" -t 1; do
    ((waited >= 30)) && die "postgres: 127.0.0.1:$port did not accept connections within 30 s" \
      "see the server log: scripts/infra.sh logs postgres"
    sleep 1
    waited=$((waited + 1))
  done
}

pg_ensure_installed() {
  pg_server_installed && return 0
  log "postgres: server not installed; installing Debian's postgresql (first run only)"
  apt_install postgresql ||
    die "postgres: PostgreSQL is not installed and could not be installed: $APT_WHY" \
      "install it (Debian: apt-get install postgresql), or use an existing server:" \
      "export DATABASE_URL=postgres://user:password@host:5432/telemetry"
  pg_server_installed || die "postgres: installed the postgresql package but found no server under /usr/lib/postgresql" \
    "install it by hand, or set DATABASE_URL to an existing server"
  # Whatever the package scripts started came from us, so `down` may stop it.
  echo "$(pg_server_version) $PG_CLUSTER" >"$PG_STARTED_MARKER"
}

pg_ensure_role_and_database() {
  local port=$1
  # Re-asserting the password and rights every time repairs a role changed by hand.
  pg_admin "$port" <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'telemetry') THEN
    CREATE ROLE telemetry LOGIN PASSWORD 'telemetry' CREATEDB;
  ELSE
    ALTER ROLE telemetry LOGIN PASSWORD 'telemetry' CREATEDB;
  END IF;
  -- The API benchmark checkpoints after bulk-loading history, so writeback is not measured as latency.
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pg_checkpoint')
     AND NOT pg_has_role('telemetry', 'pg_checkpoint', 'MEMBER') THEN
    GRANT pg_checkpoint TO telemetry;
  END IF;
END
$$;
SELECT 'CREATE DATABASE telemetry OWNER telemetry'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'telemetry') \gexec
SQL
}

# Integration tests run several pools at once; Debian's default of 100 is tight.
pg_ensure_max_connections() {
  local version=$1 port=$2 current
  current=$(pg_admin "$port" -c 'SHOW max_connections')
  ((current >= 200)) && return 0
  log "postgres: raising max_connections from $current to 200 (restarts the server)"
  pg_admin "$port" -c 'ALTER SYSTEM SET max_connections = 200'
  as_root pg_ctlcluster "$version" "$PG_CLUSTER" restart
  pg_wait_ready "$port"
}

# The apps log in with a password over TCP; Debian's pg_hba allows that for
# 127.0.0.1 (scram-sha-256), but a hand-edited file may not.
pg_ensure_password_login() {
  local port=$1 hba
  PGCONNECT_TIMEOUT=5 psql -X -q -At "$PG_URL" -c 'select 1' >/dev/null 2>&1 && return 0
  hba=$(pg_admin "$port" -c 'SHOW hba_file')
  if ! grep -q '^# added by scripts/infra.sh' "$hba"; then
    log "postgres: password login over 127.0.0.1 refused; allowing it for role telemetry in $hba"
    as_root sed -i '1i # added by scripts/infra.sh: the telemetry role logs in with a password over TCP\nhost all telemetry 127.0.0.1/32 scram-sha-256' "$hba"
    pg_admin "$port" -c 'SELECT pg_reload_conf()' >/dev/null
  fi
  local err
  err=$(PGCONNECT_TIMEOUT=5 psql -X -q -At "$PG_URL" -c 'select 1' 2>&1 >/dev/null) ||
    die "postgres: cannot log in as telemetry over TCP: $err" "check $hba"
}

pg_up() {
  if pg_is_external; then
    log "postgres: using the given DATABASE_URL=$(redact_url "$DATABASE_URL") (not starting a server)"
    if have psql; then
      local err
      # psql retries without SSL and repeats the error; the first line says it all.
      err=$(PGCONNECT_TIMEOUT=5 psql -X -q -At "$DATABASE_URL" -c 'select 1' 2>&1 >/dev/null) ||
        die "postgres: cannot use DATABASE_URL=$(redact_url "$DATABASE_URL"): ${err%%$'\n'*}" \
          "check the server is up and the URL's host, port, user and password," \
          "or unset DATABASE_URL to let this script run a local PostgreSQL"
    fi
    return 0
  fi

  pg_ensure_installed
  local version line port status logfile
  version=$(pg_server_version)
  line=$(pg_cluster_line "$version")
  if [[ -z $line ]]; then
    log "postgres: creating cluster $version/$PG_CLUSTER on port $PGPORT"
    as_root pg_createcluster -p "$PGPORT" "$version" "$PG_CLUSTER" >/dev/null
    line=$(pg_cluster_line "$version")
  fi
  read -r _ _ port status _ _ logfile <<<"$line"

  if [[ $status == online* ]]; then
    [[ $port == "$PGPORT" ]] ||
      die "postgres: cluster $version/$PG_CLUSTER is running on port $port, not PGPORT=$PGPORT" \
        "use it with PGPORT=$port, or stop it (pg_ctlcluster $version $PG_CLUSTER stop) and run 'up' again"
    log "postgres: cluster $version/$PG_CLUSTER already running on 127.0.0.1:$port"
  else
    if [[ $port != "$PGPORT" ]]; then
      log "postgres: moving cluster $version/$PG_CLUSTER from port $port to $PGPORT"
      as_root pg_conftool "$version" "$PG_CLUSTER" set port "$PGPORT"
      port=$PGPORT
    fi
    if tcp_open 127.0.0.1 "$port"; then
      die "postgres: 127.0.0.1:$port is already in use by another process (pid $(listener_pid "$port"))" \
        "if it is a PostgreSQL you want to use: export DATABASE_URL=postgres://user:password@127.0.0.1:$port/telemetry" \
        "otherwise stop it, or pick another port with PGPORT"
    fi
    log "postgres: starting cluster $version/$PG_CLUSTER on 127.0.0.1:$port"
    # No systemd here: pg_ctlcluster then runs pg_ctl itself.
    if ! as_root pg_ctlcluster "$version" "$PG_CLUSTER" start; then
      tail -n 20 "$logfile" >&2 2>/dev/null || true
      die "postgres: could not start cluster $version/$PG_CLUSTER (log above: $logfile)"
    fi
    echo "$version $PG_CLUSTER" >"$PG_STARTED_MARKER"
  fi
  pg_wait_ready "$port"
  pg_ensure_role_and_database "$port"
  pg_ensure_max_connections "$version" "$port"
  pg_ensure_password_login "$port"
  log "postgres: ready at $(redact_url "$PG_URL")"
}

pg_down() {
  if [[ -s $PG_STARTED_MARKER ]]; then
    local version cluster
    read -r version cluster <"$PG_STARTED_MARKER"
    if pg_cluster_line "$version" | grep -q online; then
      log "postgres: stopping cluster $version/$cluster (started by infra.sh)..."
      as_root pg_ctlcluster "$version" "$cluster" stop
      log "postgres: stopped"
    else
      log "postgres: cluster $version/$cluster not running"
    fi
    rm -f "$PG_STARTED_MARKER"
  elif pg_is_external; then
    log "postgres: the given DATABASE_URL is left alone"
  else
    log "postgres: not started by infra.sh; left as it is"
  fi
}

pg_status() {
  if pg_is_external; then
    local shown
    shown=$(redact_url "$DATABASE_URL")
    if have psql && PGCONNECT_TIMEOUT=5 psql -X -q -At "$DATABASE_URL" -c 'select 1' >/dev/null 2>&1; then
      echo "postgres  external  DATABASE_URL=$shown (answers)"
      return 0
    fi
    echo "postgres  external  DATABASE_URL=$shown (does NOT answer)"
    return 1
  fi
  if ! pg_server_installed; then
    echo "postgres  not installed ('up' installs it)"
    return 1
  fi
  local version line port status datadir pid release note=
  version=$(pg_server_version)
  line=$(pg_cluster_line "$version")
  if [[ -z $line ]]; then
    echo "postgres  stopped   (no cluster $version/$PG_CLUSTER yet)"
    return 1
  fi
  read -r _ _ port status _ datadir _ <<<"$line"
  if [[ $status != online* ]] || ! pg_isready -q -h 127.0.0.1 -p "$port" -t 2; then
    echo "postgres  stopped   cluster $version/$PG_CLUSTER (port $port)"
    return 1
  fi
  pid=$(head -n 1 "$datadir/postmaster.pid" 2>/dev/null || echo '?')
  release=$("/usr/lib/postgresql/$version/bin/postgres" --version | awk '{print $3}')
  [[ -s $PG_STARTED_MARKER ]] && note="  (started by infra.sh)"
  echo "postgres  running   pid $pid  127.0.0.1:$port  PostgreSQL $release, cluster $version/$PG_CLUSTER$note"
}

pg_logfile() {
  have pg_lsclusters || return 1
  local line
  line=$(pg_cluster_line "$(pg_server_version)")
  [[ -n $line ]] && awk '{print $7}' <<<"$line"
}
