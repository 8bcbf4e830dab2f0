#!/usr/bin/env bash
# Runs the whole shop on this machine: provisions the services, installs, generates,
# migrates, seeds, then starts every subgraph and the router. Ctrl-C stops everything.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
source "$ROOT/tools/lib.sh"
source "$ROOT/tools/jaeger/start.sh"
cd "$ROOT"

export NODE_ENV="${NODE_ENV:-development}"
export ADMIN_EMAIL="${ADMIN_EMAIL:-admin@shop.local}"
export ADMIN_PASSWORD="${ADMIN_PASSWORD:-admin-password-change-me}"
# Local payments: stripe-mock stands in for Stripe; the webhook secret signs test events.
export STRIPE_SECRET_KEY="${STRIPE_SECRET_KEY:-sk_test_local}"
export STRIPE_API_URL="${STRIPE_API_URL:-http://127.0.0.1:12111}"
export STRIPE_WEBHOOK_SECRET="${STRIPE_WEBHOOK_SECRET:-whsec_local_development}"
# orders, delivery and notifications sign in to users with the client-credentials grant;
# these development secrets are what each falls back to when NODE_ENV=development.
ORDERS_SECRET=orders-dev-secret-change-me
DELIVERY_SECRET=delivery-dev-secret-change-me
NOTIFICATIONS_SECRET=notifications-dev-secret-change-me
export OAUTH_CLIENTS="${OAUTH_CLIENTS:-orders:$ORDERS_SECRET:users:read+products:reserve,delivery:$DELIVERY_SECRET:orders:read,notifications:$NOTIFICATIONS_SECRET:users:read+orders:read}"
# Labels come from a local carrier (tools/dev-carrier.ts) unless CARRIER_API_URL is set.
if [ -z "${CARRIER_API_URL:-}" ]; then
  DEV_CARRIER=1
  export CARRIER_API_URL=http://127.0.0.1:4015 CARRIER_API_KEY=dev-carrier-key
  export CARRIER_WEBHOOK_SECRET="${CARRIER_WEBHOOK_SECRET:-dev-carrier-webhook-secret}"
fi
# E-mail goes to a local mailbox (tools/dev-mailbox.ts) unless SMTP_URL points elsewhere.
export SMTP_URL="${SMTP_URL:-smtp://127.0.0.1:1025}"
LOGS="$ROOT/.cache/logs"
MAIL="$ROOT/.cache/mail"
mkdir -p "$LOGS" "$MAIL"

bash tools/provision.sh
install_packages
generate_code

# Each Postgres-owning subgraph (products: its stock ledger): its database, then its migrations.
for db in users products orders delivery; do
  if [ "$(psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1 from pg_database where datname = '$db'")" != 1 ]; then
    step "creating database $db"
    psql -h 127.0.0.1 -U postgres -d postgres -qc "create database $db"
  fi
  step "migrating database $db"
  npm run --silent migrate --workspace "subgraphs/$db" >"$LOGS/migrate-$db.log" 2>&1 ||
    { cat "$LOGS/migrate-$db.log"; exit 1; }
done

step "loading the demo catalog (only when it is empty)"
npm run --silent seed --workspace subgraphs/products

pids=()
stop_all() {
  trap - INT TERM EXIT
  step "stopping"
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

# start NAME DIR PORT [VAR=value ...]: runs the service with those extra variables, its log
# prefixed with its name (and in .cache/logs).
start() {
  local name="$1" dir="$2" port="$3"
  shift 3
  # exec: the recorded pid is the service's own node process, so stopping it is exact.
  (cd "$ROOT/$dir" && exec env "$@" node --import tsx src/main.ts) \
    > >(tee "$LOGS/$name.log" | sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "$name did not become healthy on port $port; see $LOGS/$name.log" >&2
  exit 1
}

# tool NAME SCRIPT ARGS...: a development stand-in, its output prefixed with its name.
tool() {
  local name="$1"
  shift
  (cd "$ROOT" && exec node --import tsx "$@") \
    > >(tee "$LOGS/$name.log" | sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
}

if [ "$SMTP_URL" = "smtp://127.0.0.1:1025" ] && ! (exec 3<>/dev/tcp/127.0.0.1/1025) 2>/dev/null; then
  step "starting the development mailbox (e-mails are saved in $MAIL)"
  tool mailbox tools/dev-mailbox.ts 1025 "$MAIL"
fi

if [ "${DEV_CARRIER:-}" = 1 ]; then
  step "starting the development carrier (labels for paid orders)"
  tool carrier tools/dev-carrier.ts 4015 "$CARRIER_API_KEY"
fi

# Traces: Jaeger on loopback, every service exporting to it (TRACING=0: none).
start_jaeger

step "starting subgraphs"
start users subgraphs/users 4001
start products subgraphs/products 4002
start cart subgraphs/cart 4003
start orders subgraphs/orders 4004 OAUTH_CLIENT_SECRET="$ORDERS_SECRET"
start delivery subgraphs/delivery 4005 OAUTH_CLIENT_SECRET="$DELIVERY_SECRET"
start notifications subgraphs/notifications 4006 OAUTH_CLIENT_SECRET="$NOTIFICATIONS_SECRET"
step "starting the router"
start router router 4000

cat <<MSG

  The shop is running.
    GraphQL endpoint + Apollo Sandbox:              http://localhost:4000/graphql
    Subscriptions (graphql-ws, same URL):           ws://localhost:4000/graphql
    subgraphs: users :4001, products :4002, cart :4003, orders :4004, delivery :4005,
               notifications :4006 (each at /graphql)
    Stripe webhooks (stripe-mock locally):          http://localhost:4000/webhooks/stripe
    Carrier webhooks:                               http://localhost:4000/webhooks/carrier
    E-mails sent (development mailbox):             $MAIL
    JWKS:                                           http://localhost:4001/.well-known/jwks.json
    Health / readiness:                             http://localhost:4000/healthz  /readyz
    Queue board (Bull Board, ADMINs only):          http://localhost:4000/admin/login
      sign in there with the admin login below; the board is /admin/queues (docs/queue-board.md)
    Prometheus metrics (text, one port per process): router http://localhost:9400/metrics,
      users :9401, products :9402, cart :9403, orders :9404, delivery :9405,
      notifications :9406 (docs/metrics.md; a Prometheus server: docker compose)

  Admin login:  $ADMIN_EMAIL  /  $ADMIN_PASSWORD
  Logs:         $LOGS   (Ctrl-C stops everything)

MSG
if [ -n "${JAEGER_URL:-}" ]; then
  cat <<MSG
  Traces (Jaeger, in memory):  npm run traces -- [service] [--operation "mutation Checkout"]
                               $JAEGER_URL/api/traces?service=router  (query API; docs/tracing.md)

MSG
fi
wait
