# Shared by tools/up.sh and tools/test.sh. Source it after defining ROOT and step().

export CHECKPOINT_DISABLE=1              # Prisma CLI: no telemetry look-ups
export PRISMA_CLIENT_ENGINE_TYPE=client  # Prisma: the JS client engine, no Rust engine download
export TURBO_TELEMETRY_DISABLED=1

# npm ci is reproducible but takes a minute; skip it when node_modules was installed from
# this very package-lock.json.
install_packages() {
  local stamp="$ROOT/node_modules/.installed-from-lock"
  local want
  want="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    step "npm packages match package-lock.json"
    return
  fi
  step "installing npm packages (npm ci)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
}

generate_code() {
  step "generating Prisma clients and typed resolvers"
  (cd "$ROOT" && npx turbo run generate --output-logs=errors-only)
}
