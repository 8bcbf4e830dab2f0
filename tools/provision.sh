#!/usr/bin/env bash
# Makes sure every service the shop and its tests talk to is installed and running:
#   PostgreSQL 127.0.0.1:5432, Redis 127.0.0.1:6379, a MongoDB-compatible server on
#   127.0.0.1:27017 (FerretDB, unless a MongoDB already answers there) and stripe-mock on
#   127.0.0.1:12111. Idempotent: run it as often as you like; it only does what is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
BIN="$CACHE/bin"
LOGS="$CACHE/logs"
mkdir -p "$BIN" "$LOGS"

# Pinned versions. Change them here and nowhere else.
FERRETDB_VERSION="v1.24.2"     # also pinned in tools/ferretdb/go.mod
STRIPE_MOCK_VERSION="v0.203.0"

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\033[31mprovision: %s\033[0m\n' "$*" >&2; exit 1; }

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_port NAME PORT LOGFILE: wait up to 30 s for a freshly started service.
wait_port() {
  for _ in $(seq 1 60); do port_open 127.0.0.1 "$2" && return 0; sleep 0.5; done
  [ -n "${3:-}" ] && [ -f "$3" ] && tail -n 20 "$3" >&2
  fail "$1 did not start listening on 127.0.0.1:$2"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  command -v apt-get >/dev/null || fail "apt-get not found: install $* with your package manager"
  step "installing $* from Debian's packages"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

need() { command -v "$1" >/dev/null || fail "$1 is required but not installed: $2"; }
need node "install Node.js 20.19 or newer"
need npm "install npm 10 or newer (it ships with Node.js)"
need go "install Go 1.24 or newer (https://go.dev/dl) — it builds FerretDB and stripe-mock"

# --- PostgreSQL -------------------------------------------------------------------------
step "PostgreSQL on 127.0.0.1:5432"
if ! port_open 127.0.0.1 5432; then
  if ! command -v pg_ctlcluster >/dev/null; then apt_install postgresql; fi
  cluster_version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  [ -n "$cluster_version" ] || fail "no PostgreSQL cluster found under /etc/postgresql"
  # Tests connect as postgres over TCP without a password, as on the CI machines.
  hba="/etc/postgresql/$cluster_version/main/pg_hba.conf"
  if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    step "allowing local TCP connections without a password (trust) in $hba"
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  step "starting PostgreSQL $cluster_version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$cluster_version" main start
  wait_port PostgreSQL 5432
fi
need psql "install the postgresql-client package"
psql_q() { psql -h 127.0.0.1 -U postgres -d postgres -tAc "$1"; }
# A server that has just booted or restarted after a crash accepts TCP connections but
# answers "the database system is starting up / in recovery mode" until its WAL replay is
# done (seen here: CI refused at once on such a machine). Wait for it, up to 3 minutes.
pg_ready=""
for _ in $(seq 1 180); do
  if pg_out="$(psql_q 'select 1' 2>&1)"; then pg_ready=1; break; fi
  case "$pg_out" in
    *"starting up"*|*"recovery mode"*|*"shutting down"*|*"not yet accepting"*) sleep 1 ;;
    *"Connection refused"*)
      # It went away while we waited (a crash-restart that gave up): start it again.
      as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start 2>/dev/null || true
      sleep 1 ;;
    *) break ;;
  esac
done
[ -n "$pg_ready" ] || { printf '%s\n' "$pg_out" >&2; fail "cannot connect to PostgreSQL as postgres on 127.0.0.1:5432 (trust auth expected)"; }

# --- Redis ------------------------------------------------------------------------------
step "Redis on 127.0.0.1:6379"
if ! port_open 127.0.0.1 6379; then
  command -v redis-server >/dev/null || apt_install redis-server
  as_root mkdir -p /var/lib/redis /var/log/redis
  step "starting Redis"
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_port Redis 6379 /var/log/redis/ci.log
fi

# --- MongoDB-compatible server (FerretDB) -------------------------------------------------
step "MongoDB-compatible server on 127.0.0.1:27017"
FERRETDB_BIN="$BIN/ferretdb-$FERRETDB_VERSION"
if ! port_open 127.0.0.1 27017; then
  if [ ! -x "$FERRETDB_BIN" ]; then
    step "building FerretDB $FERRETDB_VERSION with Go (once, about a minute)"
    (cd "$ROOT/tools/ferretdb" && go build -o "$FERRETDB_BIN.tmp" . && mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN")
  fi
  # FerretDB keeps its data in PostgreSQL database "ferretdb".
  if [ "$(psql_q "select 1 from pg_database where datname = 'ferretdb'")" != 1 ]; then
    step "creating PostgreSQL database ferretdb (FerretDB's storage)"
    psql_q 'create database ferretdb' >/dev/null
  fi
  step "starting FerretDB (log: $LOGS/ferretdb.log)"
  setsid nohup "$FERRETDB_BIN" --listen 127.0.0.1:27017 --handler postgresql \
    --postgresql-url "postgres://postgres@127.0.0.1:5432/ferretdb" \
    >"$LOGS/ferretdb.log" 2>&1 </dev/null &
  wait_port FerretDB 27017 "$LOGS/ferretdb.log"
fi

# --- stripe-mock ------------------------------------------------------------------------
step "stripe-mock on 127.0.0.1:12111"
STRIPE_MOCK_BIN="$BIN/stripe-mock-$STRIPE_MOCK_VERSION"
if ! port_open 127.0.0.1 12111; then
  if [ ! -x "$STRIPE_MOCK_BIN" ]; then
    step "installing stripe-mock $STRIPE_MOCK_VERSION with go install (once)"
    tmp_gobin="$(mktemp -d)"
    GOBIN="$tmp_gobin" go install "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"
    mv "$tmp_gobin/stripe-mock" "$STRIPE_MOCK_BIN"
    rm -rf "$tmp_gobin"
  fi
  step "starting stripe-mock (log: $LOGS/stripe-mock.log)"
  setsid nohup "$STRIPE_MOCK_BIN" -http-port 12111 -https-port 12112 \
    >"$LOGS/stripe-mock.log" 2>&1 </dev/null &
  wait_port stripe-mock 12111 "$LOGS/stripe-mock.log"
fi

step "all services are up: postgres :5432, redis :6379, mongodb :27017, stripe-mock :12111"
