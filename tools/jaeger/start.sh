# Sourced by tools/up.sh after lib.sh: local traces. start_jaeger builds Jaeger v2 once with
# Go (pinned in go.mod beside this file, into .cache/bin like FerretDB), starts it on
# loopback with config.yaml, and points every service's OTEL_* at it. It sets JAEGER_URL
# when Jaeger runs. TRACING=0 skips it; an OTLP endpoint set by the caller is kept as it is.
JAEGER_VERSION="v1.75.0"   # also pinned in tools/jaeger/go.mod

start_jaeger() {
  if [ -n "${OTEL_EXPORTER_OTLP_ENDPOINT:-}${OTEL_EXPORTER_OTLP_TRACES_ENDPOINT:-}" ]; then
    step "tracing to ${OTEL_EXPORTER_OTLP_TRACES_ENDPOINT:-$OTEL_EXPORTER_OTLP_ENDPOINT} (set by you)"
    return 0
  fi
  if [ "${TRACING:-1}" = 0 ]; then step "tracing off (TRACING=0)"; return 0; fi
  if ! command -v go >/dev/null; then
    step "tracing off: Go is needed to build Jaeger (docs/tracing.md)"
    return 0
  fi
  local bin="$ROOT/.cache/bin/jaeger-$JAEGER_VERSION"
  if [ ! -x "$bin" ]; then
    step "building Jaeger $JAEGER_VERSION with Go (once, a few minutes)"
    mkdir -p "$(dirname "$bin")"
    if ! (cd "$ROOT/tools/jaeger" && go build -o "$bin.tmp" github.com/jaegertracing/jaeger/cmd/jaeger >"$LOGS/jaeger-build.log" 2>&1); then
      step "tracing off: Jaeger did not build (see $LOGS/jaeger-build.log)"
      return 0
    fi
    mv "$bin.tmp" "$bin"
  fi
  if ! (exec 3<>/dev/tcp/127.0.0.1/4318) 2>/dev/null; then
    step "starting Jaeger (log: $LOGS/jaeger.log)"
    "$bin" --config "$ROOT/tools/jaeger/config.yaml" >"$LOGS/jaeger.log" 2>&1 &
    pids+=($!)
    local ready=
    for _ in $(seq 1 60); do
      if curl -fsS http://127.0.0.1:16686/api/services >/dev/null 2>&1; then ready=1; break; fi
      sleep 0.5
    done
    if [ -z "$ready" ]; then
      step "tracing off: Jaeger did not start (see $LOGS/jaeger.log)"
      return 0
    fi
  fi
  export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318
  JAEGER_URL=http://127.0.0.1:16686
}
