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
npx turbo run test --concurrency=2 --output-logs=full -- --ci
