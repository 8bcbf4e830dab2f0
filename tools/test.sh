#!/usr/bin/env bash
# Runs every check and test of the shop against real services:
# provisioning, install, code generation, supergraph freshness, lint, types, tests.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
source "$ROOT/tools/lib.sh"
cd "$ROOT"

bash tools/provision.sh
install_packages
generate_code

step "checking that schema/supergraph.graphql matches the subgraphs"
npm run --silent compose:check

step "lint (ESLint) and formatting (Prettier)"
npm run --silent lint

step "type checking every workspace"
npx turbo run typecheck --output-logs=errors-only

step "running the tests"
# Two workspaces at a time on two cores; each test file has its own databases and keys.
# --continue: one failing workspace must not hide how the others did.
results="$ROOT/.cache/test-results"
rm -rf "$results"
status=0
# --forceExit: a handle a failing test left open (a server that did not stop) must end
# that workspace's run with its failure reported, not keep CI waiting until its limit.
npx turbo run test --concurrency=2 --continue --output-logs=full -- --ci --forceExit ||
  status=$?

# One line summed over every workspace (tools/jest-summary-reporter.js writes the parts).
node -e '
  const fs = require("node:fs"), dir = process.argv[1];
  let passed = 0, failed = 0;
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const r = JSON.parse(fs.readFileSync(`${dir}/${f}`, "utf8"));
    passed += r.passed; failed += r.failed;
  }
  // A workspace whose jest could not even start reports nothing: count it as a failure.
  if (process.argv[2] !== "0" && failed === 0) failed = 1;
  console.log(`${passed} passed, ${failed} failed`);
' "$results" "$status"
exit "$status"
